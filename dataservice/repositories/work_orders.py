"""The 12345 work-order taxonomy as stored: categories (two levels) and message types.

Functions take the session and never commit."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataservice.models import MessageType, WorkOrderCategory
from dataservice.text.bilingual import localized


def list_categories(session: Session, lang: str) -> dict:
    rows = session.scalars(select(WorkOrderCategory).order_by(WorkOrderCategory.position)).all()
    items: list[dict] = []
    by_code: dict[str, dict] = {}
    for row in rows:
        entry = {"code": row.code, "name": localized(row, "name", lang),
                 "department": localized(row, "department", lang),
                 "response_working_days": row.response_working_days}
        if row.level == 1:
            entry["children"] = []
            by_code[row.code] = entry
            items.append(entry)
        else:
            by_code[row.parent_code]["children"].append(entry)
    return {"items": items}


def list_types(session: Session, lang: str) -> dict:
    rows = session.scalars(select(MessageType).order_by(MessageType.position))
    return {"items": [{"code": t.code, "name": localized(t, "name", lang)} for t in rows]}
