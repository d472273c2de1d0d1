"""API-key authentication, digests of verification factors, and masking of personal data."""
from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from dataservice.errors import ApiError


def client_id_for_key(key: str) -> str:
    """A stable, non-secret name for an API client: safe for audit logs and metrics."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]


async def require_api_key(request: Request) -> str:
    """FastAPI dependency: the caller's client id, or 401. Compares every key in constant time.
    Async although it never waits: FastAPI runs a plain function dependency in a worker thread, a
    thread hop on every request for a few microseconds of work."""
    supplied = request.headers.get("x-api-key", "")
    matched = None
    for key in request.app.state.settings.api_keys:
        if hmac.compare_digest(supplied.encode(), key.encode()):
            matched = key
    if not supplied or matched is None:
        raise ApiError(401, "unauthorized", "Missing or invalid X-API-Key header.",
                       headers={"WWW-Authenticate": "ApiKey"})
    return client_id_for_key(matched)


def verification_digest(pepper: str, record_ref: str, factor: str) -> str:
    """HMAC binding a verification factor (e.g. phone last 4 digits) to one record."""
    msg = f"{record_ref}:{factor.strip()}".encode()
    return hmac.new(pepper.encode(), msg, hashlib.sha256).hexdigest()


def factor_matches(pepper: str, record_ref: str, factor: str, digest: str) -> bool:
    return hmac.compare_digest(verification_digest(pepper, record_ref, factor), digest)


def mask_phone(phone: str) -> str:
    """13812345678 -> 138******78: keeps too little to reveal the last-4 verification factor."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 6:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]


def mask_name(name: str) -> str:
    """张三丰 -> 张**, John Smith -> J*** S****."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(p[0] + "*" * (len(p) - 1) for p in name.split())
    return name[0] + "*" * (len(name) - 1)
