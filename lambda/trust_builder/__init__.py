"""Trust Builder: an Alexa skill that coaches couples through rebuilding trust (see README.md)."""
