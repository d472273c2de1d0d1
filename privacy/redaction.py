"""Redaction of citizens' phone and ID numbers before anything is stored or logged.

Mainland mobile numbers (also written 138 1234 5678 / 138-1234-5678) keep their first 3 and last 2
digits; 18-character resident ID numbers keep their first 4 and last 2 characters.
"""
from __future__ import annotations

import re
from typing import Any

_ID = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{3})\d{12}(\d[0-9Xx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{2})(\d{2})(?![0-9])")


def redact_text(text: str) -> str:
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID.sub(lambda m: m[1] + "*" * 12 + m[2], text)
    return _PHONE.sub(lambda m: m[1] + "******" + m[4], text)


def redact(value: Any) -> Any:
    """Redact every string inside a JSON-like structure (event dicts, parse data, slot values)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
