"""Audit trail of lookups of personal records: who asked, for which record, with what outcome.

Only the record's reference (application or account number) is kept, never the verification factor
or any other personal data from the request.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from dataservice.models import AuditLog
from dataservice.models.base import utcnow

OUTCOMES = ("found", "not_found", "verification_failed")


def record_lookup(session: Session, *, client: str, action: str, record_ref: str,
                  outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    session.add(AuditLog(at=utcnow(), client=client, action=action, record_ref=record_ref[:128],
                         outcome=outcome))
