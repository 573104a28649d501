"""Request handlers, one module per concern; skill.py registers them in priority order."""
