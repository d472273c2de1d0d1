"""Appointment slots and bookings. Functions take the session and never commit.

Capacity is enforced by one conditional UPDATE (`booked < capacity` in the WHERE clause): the row
lock it takes serializes concurrent bookings of a slot on PostgreSQL, SQLite serializes all writers,
and the CHECK constraint on `slots` is the last line of defence.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dataservice.errors import ApiError
from dataservice.models import Booking, Center, CenterService, Slot
from dataservice.opening_hours import SHANGHAI, parse_hhmm
from dataservice.repositories.centers import Views, require_center, require_service
from dataservice.security import factor_matches, mask_name, mask_phone, verification_digest
from dataservice.text.bilingual import localized

# No 0/O/1/I: booking numbers get read out over the phone.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
UPCOMING_DAYS = 14


def new_booking_no(day: date) -> str:
    return "AP" + day.strftime("%y%m%d") + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def slot_start(slot: Slot) -> datetime:
    return datetime.combine(slot.day, parse_hhmm(slot.start_time), tzinfo=SHANGHAI)


def _iso(moment: datetime | None) -> str | None:
    """Shanghai time with offset; SQLite hands back naive datetimes, which are UTC here."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def _slot_view(slot: Slot) -> dict:
    return {"slot_id": slot.id, "date": slot.day.isoformat(), "start": slot.start_time,
            "end": slot.end_time}


def free_slots(session: Session, center_id: str, service_code: str, day: date | None,
               now: datetime, lang: str) -> dict:
    """Slots with room left that have not started yet, on `day` or over the coming days."""
    center = require_center(session, center_id)
    require_service(session, service_code)
    offered = session.get(CenterService, (center_id, service_code))
    if offered is None:
        raise ApiError(404, "service_not_offered", "This centre does not handle this service.")
    today = now.astimezone(SHANGHAI).date()
    query = select(Slot).where(Slot.center_id == center_id, Slot.service_code == service_code,
                               Slot.booked < Slot.capacity)
    if day is not None:
        query = query.where(Slot.day == day)
    else:
        query = query.where(Slot.day >= today, Slot.day < today + timedelta(days=UPCOMING_DAYS))
    slots = [s for s in session.scalars(query.order_by(Slot.day, Slot.start_time))
             if slot_start(s) > now]
    views = Views(session, lang)
    return {
        "center": {"id": center.id, "name": localized(center, "name", lang)},
        "service": views.service_ref(service_code),
        "date": day.isoformat() if day else None,
        "items": [{**_slot_view(s), "capacity": s.capacity, "remaining": s.capacity - s.booked}
                  for s in slots],
    }


def booking_view(session: Session, booking: Booking, lang: str) -> dict:
    slot = session.get(Slot, booking.slot_id)
    views = Views(session, lang)
    center = session.get(Center, slot.center_id)
    return {
        "booking_no": booking.booking_no,
        "status": booking.status,
        "slot": _slot_view(slot),
        "center": views.center_ref(center),
        "service": views.service_ref(slot.service_code),
        "name_masked": booking.name_masked,
        "phone_masked": booking.phone_masked,
        "created_at": _iso(booking.created_at),
        "cancelled_at": _iso(booking.cancelled_at),
    }


def book(session: Session, *, slot_id: int, name: str, phone: str, pepper: str, now: datetime,
         lang: str) -> dict:
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise ApiError(404, "slot_not_found", "No appointment slot with this id.")
    if slot_start(slot) <= now:
        raise ApiError(409, "slot_in_past", "This appointment slot has already started.")
    taken = session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise ApiError(409, "slot_full", "This appointment slot is fully booked.")
    booking_no = new_booking_no(slot.day)
    booking = Booking(
        booking_no=booking_no, slot_id=slot_id, status="booked",
        created_at=now.astimezone(timezone.utc),
        name_masked=mask_name(name), phone_masked=mask_phone(phone),
        verify_digest=verification_digest(pepper, booking_no, phone[-4:]))
    session.add(booking)
    session.flush()
    return booking_view(session, booking, lang)


def find_verified(session: Session, booking_no: str, phone_last4: str,
                  pepper: str) -> tuple[str, Booking | None]:
    """(outcome, booking): the booking only if the factor matches. An unknown number is audited
    as a failed verification too."""
    booking = session.scalar(select(Booking).where(Booking.booking_no == booking_no))
    # Compute a digest either way so a miss takes as long as a wrong factor.
    digest = booking.verify_digest if booking else "0" * 64
    if not factor_matches(pepper, booking_no, phone_last4, digest) or booking is None:
        return "verification_failed", None
    return "found", booking


def cancel(session: Session, booking: Booking, now: datetime) -> Booking:
    """Cancel once and free the seat; cancelling again changes nothing."""
    if booking.status == "cancelled":
        return booking
    slot = session.get(Slot, booking.slot_id)
    if slot_start(slot) <= now:
        raise ApiError(409, "booking_in_past", "This appointment has already started or passed.")
    changed = session.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == "booked")
        .values(status="cancelled", cancelled_at=now.astimezone(timezone.utc))
        .execution_options(synchronize_session=False))
    if changed.rowcount == 1:  # a concurrent cancel of the same booking frees the seat only once
        session.execute(
            update(Slot).where(Slot.id == booking.slot_id, Slot.booked > 0)
            .values(booked=Slot.booked - 1).execution_options(synchronize_session=False))
    session.refresh(booking)
    return booking
