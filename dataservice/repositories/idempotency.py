"""Stored responses of write requests carrying an `Idempotency-Key` (one record per client and key).

A request first *claims* its key by inserting the record in the same transaction as the write it
guards. A concurrent request with the same key blocks on that primary key until the first commits
and then fails with IntegrityError; its caller rolls back and replays the stored response.

Records live for the settings' idempotency TTL (24 h by default): an older record no longer
replays, its key is free again, and `purge_expired` deletes such rows by the created_at index, so
the table (which holds booking numbers and masked names) does not grow without end.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import orjson
from sqlalchemy import delete
from sqlalchemy.orm import Session

from dataservice.errors import ApiError
from dataservice.models import IdempotencyRecord

PENDING = 0  # status_code of a claim whose transaction has not finished


def request_digest(pepper: str, scope: str, body: dict) -> str:
    """Keyed digest of the request: the body may hold a phone number, never stored even hashed."""
    canonical = orjson.dumps({"scope": scope, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hmac.new(pepper.encode(), b"idempotency:" + canonical, hashlib.sha256).hexdigest()


def stored_response(session: Session, client: str, key: str, digest: str,
                    expired_before: datetime) -> tuple[int, dict] | None:
    """The first response for this key, 422 if the key came with another body, None if unused
    (or only used before `expired_before`: that record is deleted so the key can be claimed)."""
    record = session.get(IdempotencyRecord, (client, key))
    if record is not None and record.created_at < expired_before:
        # A Core DELETE (not session.delete): a concurrent request may have deleted it first.
        session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.client == client, IdempotencyRecord.key == key,
            IdempotencyRecord.created_at < expired_before))
        session.expunge(record)
        return None
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


def purge_expired(session: Session, expired_before: datetime) -> int:
    """Delete every record created before `expired_before`; the number deleted."""
    result = session.execute(delete(IdempotencyRecord)
                             .where(IdempotencyRecord.created_at < expired_before))
    return result.rowcount or 0
