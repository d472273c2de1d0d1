"""Bookings under real concurrency: a uvicorn server on PostgreSQL, many simultaneous clients.

The capacity guard is one conditional UPDATE and the idempotency record is claimed in the booking's
transaction; these tests prove both hold when requests really race (threads, real sockets, a real
connection pool), which TestClient's sequential calls cannot show.
"""
from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from typing import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from dataservice.db import make_engine, make_sessionmaker
from dataservice.main import create_app
from dataservice.models import Booking, IdempotencyRecord, Slot

from .live import fire, running_server

pytestmark = pytest.mark.postgres_only
# Own far-future days, so these slots never collide with seeded ones or other tests' slots.
_DAYS = count()


@pytest.fixture(scope="module")
def base_url(pg_settings) -> Iterator[str]:
    with running_server(create_app(pg_settings)) as url:
        yield url


@pytest.fixture(scope="module")
def db(pg_settings):
    engine = make_engine(pg_settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _new_slot(db, capacity: int) -> int:
    with db() as session, session.begin():
        slot = Slot(center_id="pudong-exit-entry", service_code="passport",
                    day=date(2031, 3, 3) + timedelta(days=next(_DAYS)), start_time="09:00",
                    end_time="10:00", capacity=capacity, booked=0)
        session.add(slot)
        session.flush()
        return slot.id


def _fire(base_url: str, requests: list[tuple[dict, dict]]) -> list[httpx.Response]:
    return fire(base_url, "/v1/appointments", requests)


def _counts(db, slot_id: int) -> tuple[int, int]:
    with db() as session:
        booked = session.get(Slot, slot_id).booked
        rows = session.scalar(select(func.count()).select_from(Booking)
                              .where(Booking.slot_id == slot_id))
    return booked, rows


def test_fifty_racing_bookings_fill_five_seats_exactly(base_url, db):
    slot_id = _new_slot(db, capacity=5)
    requests = [({"slot_id": slot_id, "name": f"测试{i}", "phone": f"1390000{i:04d}"}, {})
                for i in range(50)]
    responses = _fire(base_url, requests)

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 5, [r.text for r in responses if r.status_code not in (201, 409)]
    assert statuses.count(409) == 45
    assert all(r.json()["error"]["code"] == "slot_full" for r in responses if r.status_code == 409)
    assert len({r.json()["booking_no"] for r in responses if r.status_code == 201}) == 5
    assert _counts(db, slot_id) == (5, 5)


def test_twenty_racing_retries_with_one_key_book_once(base_url, db):
    slot_id = _new_slot(db, capacity=5)
    body = {"slot_id": slot_id, "name": "李雷", "phone": "13800138000"}
    key = f"race-{slot_id}"
    responses = _fire(base_url, [(body, {"Idempotency-Key": key})] * 20)

    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1  # byte-identical bodies
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
    assert _counts(db, slot_id) == (1, 1)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)
                              .where(IdempotencyRecord.key == key)) == 1
