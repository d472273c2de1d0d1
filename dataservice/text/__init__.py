"""Text resolvers: normalisation and the fuzzy alias matcher shared by services, districts, garbage."""
from dataservice.text.matcher import CONFIDENT_SCORE, AliasMatcher

__all__ = ["AliasMatcher", "CONFIDENT_SCORE"]
