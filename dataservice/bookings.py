"""Booking an appointment, retry-safe: a booking and its `Idempotency-Key` record commit together,
so a client that retries gets the first answer back instead of a second booking."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dataservice.opening_hours import shanghai_now
from dataservice.repositories import appointments as repo
from dataservice.repositories import idempotency

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 60.0
ATTEMPTS = 3


class Bookings:
    def __init__(self, factory: sessionmaker[Session], pepper: str, key_ttl_seconds: int):
        self.factory, self.pepper, self.key_ttl_seconds = factory, pepper, key_ttl_seconds
        self.purged_at = float("-inf")  # monotonic time of the last purge of expired keys

    def book(self, client: str, key: str | None, request: dict) -> tuple[int, dict, bool]:
        """(status, response, replayed) for the booking `request` (slot_id, name, phone,
        language) sent by `client` under the Idempotency-Key `key` (or none)."""
        digest = idempotency.request_digest(self.pepper, "appointments.create", request)
        expired_before = shanghai_now() - timedelta(seconds=self.key_ttl_seconds)
        for attempt in range(ATTEMPTS):
            try:
                with self.factory() as session, session.begin():
                    if key is not None:
                        stored = idempotency.stored_response(session, client, key, digest,
                                                             expired_before)
                        if stored is not None:
                            return stored[0], stored[1], True
                        record = idempotency.claim(session, client, key, digest)
                    result = repo.book(session, slot_id=request["slot_id"], name=request["name"],
                                       phone=request["phone"], pepper=self.pepper,
                                       now=shanghai_now(), lang=request["language"])
                    if key is not None:
                        idempotency.complete(record, 201, result)
                self._purge_expired_keys(expired_before)
                return 201, result, False
            except IntegrityError:
                # Usually a concurrent request with the same key committed first (the next attempt
                # replays it); otherwise a booking-number collision, which a new attempt resolves.
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _purge_expired_keys(self, expired_before: datetime) -> None:
        """At most once a minute per process, after a booking committed: in its own transaction,
        so the purge never holds the booking's locks."""
        now = time.monotonic()
        if now - self.purged_at < PURGE_EVERY_SECONDS:
            return
        self.purged_at = now
        try:
            with self.factory() as session, session.begin():
                idempotency.purge_expired(session, expired_before)
        except SQLAlchemyError as e:  # the booking is committed; the next purge catches up
            log.warning("purging expired idempotency records failed: %s", type(e).__name__)
