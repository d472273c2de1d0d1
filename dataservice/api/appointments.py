"""Appointment slots and bookings: list free slots, book (idempotent), look up and cancel."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from dataservice.api.deps import ClientId, cached_json, invalidate, json_response
from dataservice.api.params import Lang, LangQuery, cache_key, parse_day
from dataservice.api.personal import personal_data
from dataservice.api.responses import BODY_ROUTE, LIST, VERIFIED_LOOKUP, errors
from dataservice.opening_hours import shanghai_now
from dataservice.repositories import appointments as repo
from dataservice.verification import Lookup
from privacy.parsing import MOBILE_FIELD

router = APIRouter(tags=["appointments"])

NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]+$"


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: int = Field(strict=True, ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=64, pattern=NO_CONTROL_CHARS)
    phone: str = Field(pattern=MOBILE_FIELD, max_length=11)
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


@router.post("/appointments", status_code=201, responses=BODY_ROUTE | errors(404, 409))
@personal_data
async def create_appointment(request: Request, body: BookingIn, client: str = ClientId,
                             idempotency_key: IdempotencyKey = None):
    status, payload, replayed = await run_in_threadpool(
        request.app.state.bookings.book, client, idempotency_key, body.model_dump())
    if not replayed:
        await invalidate(request, "slots")
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return json_response(payload, status_code=status, headers=headers)


def _booking_lookup(request: Request, body: BookingRef, client: str, action: str, then):
    """`then(session, booking)` for the booking `body` names, once verified."""
    booking_no, pepper = body.booking_no.upper(), request.app.state.settings.pepper
    return request.app.state.verifier.answer(
        Lookup(scope="booking", action=action, record_ref=booking_no, client=client,
               not_found="No booking matches this booking number and phone."),
        find=lambda s: repo.find_verified(s, booking_no, body.phone_last4, pepper), then=then)


@router.post("/appointments/lookup", responses=BODY_ROUTE | VERIFIED_LOOKUP)
@personal_data
async def lookup_appointment(request: Request, body: BookingRef, lang: Lang = LangQuery,
                             client: str = ClientId):
    """A booking by number, verified by the phone's last 4 digits (in the body, not the URL)."""
    view = await _booking_lookup(request, body, client, "appointment.lookup",
                                 lambda s, booking: repo.booking_view(s, booking, lang))
    return json_response(view)


@router.post("/appointments/cancel",
             responses=BODY_ROUTE | VERIFIED_LOOKUP | errors(409))
@personal_data
async def cancel_appointment(request: Request, body: BookingRef, lang: Lang = LangQuery,
                             client: str = ClientId):
    """Cancel a booking and free its seat; cancelling a cancelled booking returns it unchanged."""
    def cancel(session: Session, booking) -> tuple[dict, bool]:
        was_booked = booking.status == "booked"
        booking = repo.cancel(session, booking, shanghai_now())
        return repo.booking_view(session, booking, lang), was_booked

    view, changed = await _booking_lookup(request, body, client, "appointment.cancel", cancel)
    if changed:
        await invalidate(request, "slots")
    return json_response(view)
