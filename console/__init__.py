"""Operator console: ingests Rasa's events, and lets operators review and annotate them.

Runs in the console's own Python 3.11 environment; the event broker that feeds it runs inside Rasa
(`bot/event_broker.py`).
"""
