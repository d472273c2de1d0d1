"""Appointment slots and bookings: list free slots, book (idempotent), look up and cancel."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from dataservice.api.deps import ClientId, cached_json, get_session, invalidate, json_response
from dataservice.api.params import Lang, LangQuery, cache_key, parse_day
from dataservice.api.personal import personal_data
from dataservice.api.responses import BODY_ROUTE, LIST, VERIFIED_LOOKUP, errors
from dataservice.opening_hours import shanghai_now
from dataservice.repositories import appointments as repo
from dataservice.repositories import idempotency
from dataservice.verification import Lookup

log = logging.getLogger(__name__)
router = APIRouter(tags=["appointments"])

MOBILE = r"^1[3-9][0-9]{9}$"  # mainland mobile; [0-9] because \d also takes full-width digits
NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]+$"


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: int = Field(strict=True, ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL_CHARS)
    phone: str = Field(pattern=MOBILE, max_length=11)
    language: Literal["zh", "en"] = "zh"

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("name must not be blank")
        return value


class BookingRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    booking_no: str = Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9]+$")
    phone_last4: str = Field(pattern=r"^[0-9]{4}$", max_length=4)


IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="Retry-safe booking: the same key from the same client returns the first "
                "response.")]


@router.get("/slots", responses=LIST | errors(404))
async def free_slots(request: Request, center: str = Query(..., min_length=1, max_length=64),
                     service: str = Query(..., min_length=1, max_length=64),
                     date: str | None = Query(None, max_length=32), lang: Lang = LangQuery):
    """Bookable slots (room left, not started) on a date, or over the next two weeks."""
    day = parse_day(date) if date is not None else None
    now = shanghai_now()
    return await cached_json(
        request, "slots", cache_key("free", center, service, day and day.isoformat(), lang),
        lambda s: repo.free_slots(s, center, service, day, now, lang))


PURGE_EVERY_SECONDS = 60.0


def _idempotency_cutoff(request: Request) -> datetime:
    return shanghai_now() - timedelta(seconds=request.app.state.settings.idempotency_ttl_seconds)


def _purge_expired_keys(request: Request, expired_before: datetime) -> None:
    """At most once a minute per process, after a booking committed: in its own transaction, so
    the purge never holds the booking's locks."""
    state = request.app.state
    now = time.monotonic()
    if now - getattr(state, "idempotency_purged_at", float("-inf")) < PURGE_EVERY_SECONDS:
        return
    state.idempotency_purged_at = now
    try:
        with state.sessionmaker() as session, session.begin():
            idempotency.purge_expired(session, expired_before)
    except SQLAlchemyError as e:  # the booking is committed; the next purge catches up
        log.warning("purging expired idempotency records failed: %s", type(e).__name__)


def _book(request: Request, client: str, key: str | None,
          body: BookingIn) -> tuple[int, dict, bool]:
    """(status, response, replayed). The booking and its idempotency record commit together."""
    factory, pepper = request.app.state.sessionmaker, request.app.state.settings.pepper
    digest = idempotency.request_digest(pepper, "appointments.create", body.model_dump())
    expired_before = _idempotency_cutoff(request)
    for attempt in range(3):
        try:
            with factory() as session, session.begin():
                if key is not None:
                    stored = idempotency.stored_response(session, client, key, digest,
                                                         expired_before)
                    if stored is not None:
                        return stored[0], stored[1], True
                    record = idempotency.claim(session, client, key, digest)
                result = repo.book(session, slot_id=body.slot_id, name=body.name,
                                   phone=body.phone, pepper=pepper, now=shanghai_now(),
                                   lang=body.language)
                if key is not None:
                    idempotency.complete(record, 201, result)
            _purge_expired_keys(request, expired_before)
            return 201, result, False
        except IntegrityError:
            # Usually a concurrent request with the same key committed first (the next attempt
            # replays it); otherwise a booking-number collision, which a new attempt resolves.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@router.post("/appointments", status_code=201, responses=BODY_ROUTE | errors(404, 409))
@personal_data
async def create_appointment(request: Request, body: BookingIn, client: str = ClientId,
                             idempotency_key: IdempotencyKey = None):
    status, payload, replayed = await run_in_threadpool(_book, request, client, idempotency_key,
                                                        body)
    if not replayed:
        await invalidate(request, "slots")
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return json_response(payload, status_code=status, headers=headers)


def _verified_booking(request: Request, session: Session, body: BookingRef, client: str,
                      action: str):
    """The booking `body` names, through the verification sequence (dataservice/verification)."""
    booking_no, pepper = body.booking_no.upper(), request.app.state.settings.pepper
    lookup = Lookup(scope="booking", action=action, record_ref=booking_no, client=client,
                    not_found="No booking matches this booking number and phone.")
    return request.app.state.verifier.verified(
        session, lookup, lambda s: repo.find_verified(s, booking_no, body.phone_last4, pepper))


@router.post("/appointments/lookup", responses=BODY_ROUTE | VERIFIED_LOOKUP)
@personal_data
async def lookup_appointment(request: Request, body: BookingRef, lang: Lang = LangQuery,
                             client: str = ClientId, session: Session = Depends(get_session)):
    """A booking by number, verified by the phone's last 4 digits (in the body, not the URL)."""
    def _run() -> dict:
        with session.begin():
            booking = _verified_booking(request, session, body, client, "appointment.lookup")
            return repo.booking_view(session, booking, lang)

    return json_response(await run_in_threadpool(_run))


@router.post("/appointments/cancel",
             responses=BODY_ROUTE | VERIFIED_LOOKUP | errors(409))
@personal_data
async def cancel_appointment(request: Request, body: BookingRef, lang: Lang = LangQuery,
                             client: str = ClientId, session: Session = Depends(get_session)):
    """Cancel a booking and free its seat; cancelling a cancelled booking returns it unchanged."""
    def _run() -> tuple[dict, bool]:
        with session.begin():
            booking = _verified_booking(request, session, body, client, "appointment.cancel")
            was_booked = booking.status == "booked"
            booking = repo.cancel(session, booking, shanghai_now())
            return repo.booking_view(session, booking, lang), was_booked

    view, changed = await run_in_threadpool(_run)
    if changed:
        await invalidate(request, "slots")
    return json_response(view)
