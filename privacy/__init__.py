"""Personal-data redaction shared by every service (Rasa side, actions and the data service).

Standard library only, so both Python environments import it from the repository root.
"""
from privacy.redaction import mask_name, redact, redact_text

__all__ = ["mask_name", "redact", "redact_text"]
