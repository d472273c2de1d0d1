"""12345 hotline sample tickets: upsert by ticket number; contact phones are stored masked only.
Their dates move by whole weeks to the seeding day's week, like the applications'."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from dataservice.models import Ticket
from dataservice.repositories.tickets import ISSUE_TYPES, STATUSES, phone_digits
from dataservice.security import mask_phone
from dataservice.seed.context import SeedContext, read_yaml
from dataservice.seed.applications import weeks_moved


def load(session: Session, ctx: SeedContext) -> int:
    sample = read_yaml("tickets.yaml")
    shift = weeks_moved(date.fromisoformat(sample["written_as_of"]), ctx.today)
    rows = sample["tickets"]
    for row in rows:
        if row["issue_type"] not in ISSUE_TYPES or row["status"] not in STATUSES:
            raise ValueError(f"ticket {row['ticket_no']}: unknown issue type or status")
        history = [{**h, "at": (datetime.fromisoformat(h["at"]) + shift).isoformat()}
                   for h in row["history"]]
        phone = row.get("contact_phone")
        session.merge(Ticket(
            ticket_no=row["ticket_no"], issue_type=row["issue_type"],
            description=row["description"], location=row["location"],
            district_code=row["district"], status=row["status"], history=history,
            contact_phone_masked=mask_phone(phone_digits(str(phone))) if phone else None,
            language=row["language"],
            created_at=datetime.fromisoformat(history[0]["at"]),
            updated_at=datetime.fromisoformat(history[-1]["at"]),
        ))
    return len(rows)
