"""Encryption of personal data that a form must carry from one turn to the next.

The citizen's mobile number is needed only for the booking call, but the form collects it turns
earlier: the slot holds a Fernet token (AES-128-CBC + HMAC-SHA256), never the number. The key is
derived with SHA-256 from the `PII_SECRET_KEY` environment variable; without it a fixed development
key is used and a warning is logged once (never deploy like that: anyone with the source could
decrypt the tracker store).
"""
from __future__ import annotations

import base64
import hashlib
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from actions.settings import pii_secret_key

log = logging.getLogger(__name__)

DEV_SECRET = "development-only-pii-secret--set-PII_SECRET_KEY"
# A booking conversation lasts minutes; a token older than a day is refused (expired slot data).
MAX_AGE_SECONDS = 24 * 3600


@lru_cache(maxsize=4)
def _fernet_for(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest()))


@lru_cache(maxsize=1)
def _warn_dev_key() -> None:
    log.warning("PII_SECRET_KEY is not set: personal data in slots is encrypted with the "
                "development key. Set PII_SECRET_KEY in production.")


def _fernet() -> Fernet:
    secret = pii_secret_key()
    if not secret:
        _warn_dev_key()
        secret = DEV_SECRET
    return _fernet_for(secret)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str | None, max_age: int | None = MAX_AGE_SECONDS) -> str | None:
    """The clear value, or None when the token is missing, tampered with, expired or foreign."""
    if not token or not isinstance(token, str):
        return None
    try:
        return _fernet().decrypt(token.encode("ascii"), ttl=max_age).decode("utf-8")
    except (InvalidToken, ValueError, UnicodeError):
        return None
