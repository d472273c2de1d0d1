"""Retraining: annotations exported as Rasa data, trained and evaluated in a queued worker, gated,
promoted to the model server and rolled back."""
