"""The local console: a simulated Echo that turns typed text into Alexa requests for the skill.

LocalDevice (device.py) is also the harness the dialog tests drive; Matcher (matcher.py) stands in for
Alexa's language understanding; envelopes.py builds the requests; render.py shows the answers.
"""
