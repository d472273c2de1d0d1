"""12345 hotline: report a city problem and follow its ticket."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy.orm import Session

from dataservice.api.deps import get_session, json_response
from dataservice.api.params import CONTROL_CHARS, Lang, LangQuery
from dataservice.api.personal import personal_data
from dataservice.api.responses import BODY_ROUTE, LIST, errors
from dataservice.errors import ApiError
from dataservice.repositories import tickets as repo
from dataservice.security import mask_phone
from dataservice.work_orders.taxonomy import TYPE_CODES

router = APIRouter(prefix="/tickets", tags=["hotline"])

IssueType = Literal[tuple(repo.ISSUE_TYPES)]  # type: ignore[valid-type]
MessageTypeCode = Literal[TYPE_CODES]  # type: ignore[valid-type]


def _clean(value: str) -> str:
    value = value.strip()
    if CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters")
    return value


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue_type: IssueType = "other"
    # A long pasted complaint is kept whole.
    description: Annotated[str, Field(min_length=5, max_length=10_000)]
    location: Annotated[str, Field(min_length=1, max_length=200)]
    district: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                               min_length=1, max_length=32)]
    # Mainland mobile or landline, with optional +86, spaces or dashes; stored masked only.
    contact_phone: Annotated[str, StringConstraints(strip_whitespace=True,
                                                    pattern=r"^(\+?86)?[0-9 \-]{7,20}$")] | None = None
    language: Lang = "zh"
    # Work-order fields (docs/dataservice.md): all optional, so older clients keep working.
    type: MessageTypeCode | None = None
    category: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}([0-9]{2})?$")] | None = None
    road: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    landmark: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    channel: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_\-]{1,32}$")] = "api"

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        value = _clean(value)
        if len(value) < 5:
            raise ValueError("must be at least 5 characters besides spaces")
        return value

    @field_validator("location", "road", "landmark")
    @classmethod
    def _location(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _clean(value)
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("contact_phone")
    @classmethod
    def _enough_digits(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = repo.phone_digits(value)
        if not 7 <= len(digits) <= 12:
            raise ValueError("must be a phone number of 7 to 12 digits")
        return digits


@router.get("/issue-types", responses=LIST)
def issue_types(lang: Lang = LangQuery):
    return {"items": [
        {"code": code, "label": zh if lang == "zh" else en, "response_working_days": days}
        for code, (zh, en, days) in repo.ISSUE_TYPES.items()
    ]}


@router.post("", status_code=201, responses=BODY_ROUTE)
@personal_data
def create_ticket(body: TicketIn, session: Session = Depends(get_session)):
    with session.begin():
        if not repo.district_exists(session, body.district):
            raise ApiError(422, "unknown_district", "Unknown district code; see GET /v1/districts.")
        if body.category is not None and not repo.category_exists(session, body.category):
            raise ApiError(422, "unknown_category",
                           "Unknown work-order category code; see GET /v1/tickets/categories.")
        ticket = repo.create_ticket(
            session, issue_type=body.issue_type, description=body.description,
            location=body.location, district_code=body.district,
            contact_phone_masked=mask_phone(body.contact_phone) if body.contact_phone else None,
            language=body.language, message_type=body.type, category_code=body.category,
            road=body.road, landmark=body.landmark, channel=body.channel,
        )
        days = repo.response_days(session, ticket)
    created = repo.aware(ticket.created_at)
    expected = repo.expected_response(days, created)
    return json_response({
        "ticket_no": ticket.ticket_no,
        "status": "received",
        "status_label": repo.STATUSES["received"][0 if body.language == "zh" else 1],
        "created_at": created.isoformat(),
        "expected_response": {"working_days": expected["working_days"],
                              "respond_by": expected["respond_by"],
                              "text": expected[body.language],
                              "zh": expected["zh"], "en": expected["en"]},
    }, status_code=201)


@router.get("/{ticket_no}", responses=errors(404))
@personal_data
def get_ticket(
    ticket_no: Annotated[str, Path(min_length=1, max_length=40)],
    lang: Lang = LangQuery,
    session: Session = Depends(get_session),
):
    normalized = ticket_no.strip().upper()
    if not re.fullmatch(repo.TICKET_NO_PATTERN, normalized):
        raise ApiError(422, "invalid_ticket_no",
                       "A ticket number looks like 12345-20261128-7K3QXM.")
    # Not cached: a ticket's status changes and its description may hold personal details.
    ticket = repo.get_ticket(session, normalized)
    if ticket is None:
        raise ApiError(404, "not_found", "No ticket with this number.")
    return json_response(repo.render_ticket(session, ticket, lang))
