"""Appointment slots: one per centre x service x hour of opening, for the next `ctx.slot_days` days.

Closed days (weekends, statutory holidays) get no slots; make-up working days do. Idempotent: only
missing (centre, service, day, start) rows are inserted, so a re-seed never resets `booked`.
"""
from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from dataservice.models import Center, Slot
from dataservice.opening_hours import day_hours
from dataservice.seed.context import SeedContext

SLOT_MINUTES = 60


def slot_times(ranges: list[list[str]], minutes: int = SLOT_MINUTES) -> list[tuple[str, str]]:
    """Whole slots inside each opening range: [["09:00", "11:30"]] -> 09:00-10:00, 10:00-11:00."""
    out = []
    step = timedelta(minutes=minutes)
    for open_, close in ranges:
        start = datetime.strptime(open_, "%H:%M")
        end = datetime.strptime(close, "%H:%M")
        while start + step <= end:
            out.append((start.strftime("%H:%M"), (start + step).strftime("%H:%M")))
            start += step
    return out


def capacity_for(center_id: str, service_code: str, start: str) -> int:
    """3..6 desks' worth per slot; stable across re-seeds (no randomness)."""
    return 3 + zlib.crc32(f"{center_id}|{service_code}|{start}".encode()) % 4


def load(session: Session, ctx: SeedContext) -> int:
    days = [ctx.today + timedelta(days=n) for n in range(ctx.slot_days)]
    if not days:
        return 0
    existing = {tuple(row) for row in session.execute(
        select(Slot.center_id, Slot.service_code, Slot.day, Slot.start_time)
        .where(Slot.day >= days[0], Slot.day <= days[-1]))}
    wanted = 0
    new: list[dict] = []
    for center in session.scalars(select(Center).order_by(Center.id)):
        codes = sorted(link.service_code for link in center.services)
        for day in days:
            hours = day_hours(center.weekly_hours, day)
            if not hours.open:
                continue
            for start, end in slot_times(hours.ranges):
                for code in codes:
                    wanted += 1
                    if (center.id, code, day, start) not in existing:
                        new.append({"center_id": center.id, "service_code": code, "day": day,
                                    "start_time": start, "end_time": end,
                                    "capacity": capacity_for(center.id, code, start), "booked": 0})
    if new:
        session.execute(insert(Slot), new)
    return wanted

