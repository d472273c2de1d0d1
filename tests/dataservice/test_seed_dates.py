"""Sample data stays plausible on whatever day the backend is seeded: every dated record kind is
seeded with the clock fixed to days across the years (month ends, a leap day, holidays) and read
back from the database."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dataservice import seed
from dataservice.db import make_engine, make_sessionmaker
from dataservice.migrate import upgrade
from dataservice.models import Application, Slot, Ticket, TransportTrip, UtilityBill

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYS = [date(2026, 1, 1), date(2026, 12, 3), date(2027, 2, 28), date(2027, 10, 1), date(2028, 2, 29),
        date(2029, 7, 15)]
OPEN = {"submitted", "under_review", "need_more_documents", "approved"}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_every_dated_record_reads_plausibly_on_the_seeding_day(tmp_path, today):
    url = f"sqlite:///{tmp_path / 'seed.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    seed.run(make_sessionmaker(engine), seed.SeedContext(pepper="test-pepper", today=today))
    start = datetime.combine(today, time(0, 0), SHANGHAI)
    recent = start - timedelta(days=28)
    with make_sessionmaker(engine)() as s:
        applications = s.scalars(select(Application)).all()
        tickets = s.scalars(select(Ticket)).all()
        slots = s.scalars(select(Slot)).all()
        bills = s.scalars(select(UtilityBill)).all()
        trips = s.scalars(select(TransportTrip)).all()
    engine.dispose()
    assert applications and tickets and slots and bills and trips
    # Nothing has happened yet today or later; what is in progress happened lately.
    for record in [*applications, *tickets]:
        assert _aware(record.updated_at) < start, (today, record)
        assert all(datetime.fromisoformat(h["at"]) < start for h in record.history), (today, record)
    assert max(_aware(t.updated_at) for t in tickets) >= recent
    assert max(_aware(a.updated_at) for a in applications) >= recent
    for a in applications:
        if a.status in OPEN and a.expected_done_at:
            assert _aware(a.expected_done_at).astimezone(SHANGHAI).date() > today, (today, a.application_no)
    # Appointments are offered from today on, for the next two weeks.
    days = {slot.day for slot in slots}
    assert min(days) >= today and max(days) < today + timedelta(days=15) and len(days) > 5
    # Trips are behind us and recent; the newest bill is not yet due, an older unpaid one is overdue.
    assert all(_aware(t.at) < start + timedelta(days=1) for t in trips)
    assert min(_aware(t.at) for t in trips) >= start - timedelta(days=60)
    assert max(b.due_date for b in bills) > today
    assert all(b.due_date > today - timedelta(days=400) for b in bills)  # a year of bills
