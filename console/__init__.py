"""Operator console: ingests Rasa's events, and lets operators review and annotate them.

Nothing is imported here: `console.rasa_broker` runs inside Rasa's Python 3.10 environment, the
rest inside the console's own Python 3.11 environment.
"""
