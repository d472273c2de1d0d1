"""Ingestion of Rasa's event-broker stream into the console's database."""
