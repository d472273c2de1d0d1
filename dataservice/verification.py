"""The one sequence behind every lookup of a personal record: limit → verify → audit → 404.

A lookup first takes a place of the failed-attempt limiter (dataservice/lockout.py), then checks the
factor, is audited whatever the outcome, and answers an unknown record and a wrong factor with the
same 404, so the answer never reveals whether a record exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from dataservice.errors import ApiError
from dataservice.lockout import Attempt, FailedAttemptLimiter
from dataservice.repositories.audit import record_lookup

Record = TypeVar("Record")
Answer = TypeVar("Answer")


@dataclass(frozen=True)
class Lookup:
    """One lookup of one record: `scope` names the limiter's counters, `action` the audit row."""

    scope: str
    action: str
    record_ref: str
    client: str
    not_found: str  # the 404's message


@dataclass(frozen=True)
class Verifier:
    limiter: FailedAttemptLimiter
    sessionmaker: sessionmaker[Session]

    async def answer(self, lookup: Lookup,
                     find: Callable[[Session], tuple[str, Record | None]],
                     then: Callable[[Session, Record], Answer]) -> Answer:
        """`then(session, record)` for the record `find` returns as (outcome, record or None).

        Both run in one transaction, with the audit row, in a worker thread. A verified record
        gives its limiter place back even if `then` refuses (a 409): only a wrong factor counts.
        """
        async with self.limiter.attempt(lookup.scope, lookup.record_ref) as attempt:
            found, answer = await run_in_threadpool(self._run, lookup, find, then, attempt)
        if not found:
            raise ApiError(404, "not_found", lookup.not_found)
        return answer

    def _run(self, lookup: Lookup, find, then, attempt: Attempt):
        with self.sessionmaker() as session, session.begin():
            outcome, record = find(session)
            record_lookup(session, client=lookup.client, action=lookup.action,
                          record_ref=lookup.record_ref, outcome=outcome)
            if record is None:
                return False, None  # the audit row commits; the caller answers 404
            attempt.verified()
            return True, then(session, record)
