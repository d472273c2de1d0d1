"""Applications in progress: upsert by application number.

The seed file holds each (fictional) applicant's name and phone; only a masked name, a masked phone
and an HMAC of the phone's last four digits reach the database. Its dates are written as of one day
and moved by whole weeks to the seeding day's week, so a demo reads plausibly on any date.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from dataservice.models import Application
from dataservice.repositories.applications import STATUSES
from dataservice.security import mask_name, mask_phone, verification_digest
from dataservice.seed.context import SeedContext, read_yaml


def weeks_moved(written_as_of: date, today: date) -> timedelta:
    """How far the sample's dates move: whole weeks, so weekdays (and working days) are kept, and
    the sample's last day lands before today (never an event later today)."""
    return timedelta(weeks=(today - written_as_of - timedelta(days=1)).days // 7)


def load(session: Session, ctx: SeedContext) -> int:
    sample = read_yaml("applications.yaml")
    shift = weeks_moved(date.fromisoformat(sample["written_as_of"]), ctx.today)

    def moved(iso: str) -> datetime:
        return datetime.fromisoformat(iso) + shift

    rows = sample["applications"]
    for row in rows:
        number, phone = row["application_no"], str(row["phone"])
        history = [{**h, "at": moved(h["at"]).isoformat()} for h in row["history"]]
        if any(h["status"] not in STATUSES for h in history) or row["status"] not in STATUSES:
            raise ValueError(f"application {number}: unknown status")
        expected = row.get("expected_done_at")
        session.merge(Application(
            application_no=number, service_code=row["service"], center_id=row.get("center"),
            status=row["status"], history=history,
            applicant_name_masked=mask_name(row["applicant_name"]),
            phone_masked=mask_phone(phone),
            verify_digest=verification_digest(ctx.pepper, number, phone[-4:]),
            submitted_at=moved(row["submitted_at"]),
            updated_at=datetime.fromisoformat(history[-1]["at"]),
            expected_done_at=moved(expected) if expected else None,
            note_zh=row.get("note_zh", ""), note_en=row.get("note_en", ""),
        ))
    return len(rows)
