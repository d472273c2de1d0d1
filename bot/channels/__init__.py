"""Custom Rasa input channels (referenced by class path in bot/credentials.yml)."""
