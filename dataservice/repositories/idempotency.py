"""Stored responses of write requests carrying an `Idempotency-Key` (one record per client and key).

A request first *claims* its key by inserting the record in the same transaction as the write it
guards. A concurrent request with the same key blocks on that primary key until the first commits
and then fails with IntegrityError; its caller rolls back and replays the stored response.
"""
from __future__ import annotations

import hashlib
import hmac

import orjson
from sqlalchemy.orm import Session

from dataservice.errors import ApiError
from dataservice.models import IdempotencyRecord

PENDING = 0  # status_code of a claim whose transaction has not finished


def request_digest(pepper: str, scope: str, body: dict) -> str:
    """Keyed digest of the request: the body may hold a phone number, never stored even hashed."""
    canonical = orjson.dumps({"scope": scope, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hmac.new(pepper.encode(), b"idempotency:" + canonical, hashlib.sha256).hexdigest()


def stored_response(session: Session, client: str, key: str,
                    digest: str) -> tuple[int, dict] | None:
    """The first response for this key, 422 if the key came with another body, None if unused."""
    record = session.get(IdempotencyRecord, (client, key))
    if record is None or record.status_code == PENDING:
        return None
    if not hmac.compare_digest(record.request_digest, digest):
        raise ApiError(422, "idempotency_key_reused",
                       "This Idempotency-Key was already used with a different request.")
    return record.status_code, record.response


def claim(session: Session, client: str, key: str, digest: str) -> IdempotencyRecord:
    """Insert the record now (flush) so a concurrent duplicate waits on it.

    May raise IntegrityError: a request with the same key committed first.
    """
    record = IdempotencyRecord(client=client, key=key, request_digest=digest,
                               status_code=PENDING, response={})
    session.add(record)
    session.flush()
    return record


def complete(record: IdempotencyRecord, status_code: int, response: dict) -> None:
    record.status_code, record.response = status_code, response
