"""The skill as an Alexa web-service endpoint (Flask), with Alexa request verification on by default."""
