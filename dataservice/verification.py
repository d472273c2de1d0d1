"""The one sequence behind every lookup of a personal record: verify → limit → audit → 404.

A lookup holds a place of the failed-attempt limiter (dataservice/lockout.py) while its factor is
checked, is audited whatever the outcome, and answers an unknown record and a wrong factor with the
same 404, so the answer never reveals whether a record exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from dataservice.errors import ApiError
from dataservice.lockout import FailedAttemptLimiter
from dataservice.repositories.audit import record_lookup

T = TypeVar("T")


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

    def verified(self, session: Session, lookup: Lookup,
                 find: Callable[[Session], tuple[str, T | None]]) -> T:
        """The record `find` returns as (outcome, record or None), inside the caller's transaction.

        On a miss the audit row is committed in its own transaction (the caller's rolls back with
        the 404) before the 404 is raised.
        """
        with self.limiter.attempt(lookup.scope, lookup.record_ref) as attempt:
            outcome, record = find(session)
            if record is not None:
                attempt.verified()
        if record is None:
            with self.sessionmaker() as audit_session, audit_session.begin():
                self._audit(audit_session, lookup, outcome)
            raise ApiError(404, "not_found", lookup.not_found)
        self._audit(session, lookup, outcome)
        return record

    @staticmethod
    def _audit(session: Session, lookup: Lookup, outcome: str) -> None:
        record_lookup(session, client=lookup.client, action=lookup.action,
                      record_ref=lookup.record_ref, outcome=outcome)
