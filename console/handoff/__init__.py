"""The live handoff to a human agent: the queue (queue.py), working hours (hours.py) and delivery
of agents' messages to the citizen's channel through Rasa (relay.py)."""
