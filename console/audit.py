"""The audit log: every change an operator makes, with who, what, when, before and after."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from console.models import AuditEntry


def record(session: Session, username: str, action: str, target: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    session.add(AuditEntry(at=datetime.now(timezone.utc), username=username, action=action,
                           target=target[:400], before=before, after=after))
