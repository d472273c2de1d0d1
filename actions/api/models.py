"""What the data service answers, as small typed objects (docs/dataservice.md documents each shape).

Models name the fields the actions read; fields the data service adds later are kept (`extra`) so a
new field never breaks a running action server. Objects are immutable: a cached reference list
can be shared between conversations.
"""
from __future__ import annotations

from typing import Any, Generic, Optional, TypeVar

from pydantic import BaseModel, Extra, root_validator
from pydantic.generics import GenericModel

T = TypeVar("T")


class Model(BaseModel):
    class Config:
        extra = Extra.allow
        allow_mutation = False


class ItemList(GenericModel, Model, Generic[T]):
    """Every list answer of the data service: `ItemList[Centre]` and the like. Lists carry
    `items`; resolvers and classifiers call theirs `matches` (beside the `query`)."""
    items: list[T] = []

    @root_validator(pre=True)
    def _matches_are_items(cls, values: dict[str, Any]) -> dict[str, Any]:
        if "items" not in values and "matches" in values:
            return {**values, "items": values["matches"]}
        return values


class Named(Model):
    """A coded thing with its name in the language asked for (district, service, category...)."""
    code: str
    name: str = ""


class Scored(Model):
    """A resolver's or classifier's match: 0-100, `confident` from 75 (the data service decides)."""
    score: float = 0.0
    confident: bool = False


class Match(Named, Scored):
    """One answer of a resolver (`/v1/services/resolve`, `/v1/districts/resolve`)."""


class ServiceDetail(Named):
    department: str = ""
    eligibility: str = ""
    documents: list[str] = []
    fee: str = ""
    fee_cny: Optional[float] = None
    processing_time: str = ""
    processing_days_max: Optional[int] = None
    online: str = ""
    online_url: str = ""
    centers: list[str] = []


class CentreRef(Model):
    id: str
    name: str = ""
    address: str = ""
    phone: str = ""


class Location(Model):
    lat: float
    lon: float


class Centre(CentreRef):
    district: Optional[Named] = None
    location: Optional[Location] = None
    weekly_hours: dict[str, list[list[str]]] = {}
    hours_summary: str = ""
    services: list[Named] = []
    distance_km: Optional[float] = None


class DayHours(Model):
    """Whether a centre is open on one date, after the official holiday calendar."""
    center: CentreRef
    date: str
    weekday: str
    open: bool
    ranges: list[list[str]] = []
    reason: str
    holiday: Optional[Named] = None
    holiday_data: bool = True
    note: str = ""


class CalendarDay(Model):
    """The city's working calendar for one date (`GET /v1/calendar/{date}`)."""
    date: str
    workday: bool
    reason: str
    holiday: Optional[Named] = None
    holiday_data: bool = True


class NextHoliday(Named):
    """A statutory holiday's next occurrence (`GET /v1/calendar/holidays/next`); `holiday_data` is
    false while the official days off of that year are not published."""
    date: str
    holiday_data: bool = False


class Slot(Model):
    slot_id: int
    date: str
    start: str
    end: str
    capacity: Optional[int] = None
    remaining: Optional[int] = None


class Slots(ItemList[Slot]):
    center: CentreRef
    service: Named
    date: Optional[str] = None


class Booking(Model):
    """A booking as the data service shows it to its holder (name and phone masked)."""
    booking_no: str
    status: str
    slot: Slot
    center: CentreRef
    service: Named
    name_masked: str = ""
    phone_masked: str = ""
    created_at: str = ""
    cancelled_at: Optional[str] = None


class Status(Model):
    code: str
    label: str = ""


class HistoryEntry(Model):
    status: str
    status_label: str = ""
    at: str = ""
    note: Optional[str] = None


class Application(Model):
    """An application in progress, as shown to its applicant."""
    application_no: str
    status: Status
    service: Named
    center: Optional[CentreRef] = None
    expected_done_at: Optional[str] = None
    note: Optional[str] = None
    history: list[HistoryEntry] = []


class ExpectedResponse(Model):
    working_days: int
    respond_by: str
    text: str = ""
    zh: Optional[str] = None
    en: Optional[str] = None


class CreatedTicket(Model):
    ticket_no: str
    status: str
    status_label: str = ""
    created_at: str = ""
    expected_response: ExpectedResponse


class CategoryPath(Model):
    level1: Named
    level2: Optional[Named] = None


class Ticket(Model):
    """A 12345 ticket as `GET /v1/tickets/{no}` shows it (the fields the actions read)."""
    ticket_no: str
    status: Status
    issue_type: Optional[Status] = None
    type: Optional[Named] = None
    category: Optional[CategoryPath] = None
    district: Optional[Named] = None
    expected_response: Optional[ExpectedResponse] = None
    history: list[HistoryEntry] = []


class Category(Named):
    """A work-order class; first-level classes carry their second-level `children`."""
    department: str = ""
    response_working_days: Optional[int] = None
    children: list["Category"] = []


Category.update_forward_refs()


class MessageTypeFound(Named):
    score: float = 0.0
    stated: bool = False  # the citizen named it outright ("我要投诉", "I want to praise")


class Alternative(CategoryPath):
    score: float = 0.0


class PlaceFound(Model):
    district: Optional[Named] = None
    road: Optional[str] = None
    landmark: Optional[str] = None


class Classification(Model):
    """What `POST /v1/tickets/classify` makes of a citizen's message."""
    type: Optional[MessageTypeFound] = None
    category: CategoryPath
    department: str = ""
    response_working_days: Optional[int] = None
    score: float = 0.0
    confident: bool = False
    alternatives: list[Alternative] = []
    location: Optional[PlaceFound] = None


class BinAdvice(Model):
    bin: str = ""
    tip: str = ""


class GarbageMatch(BinAdvice, Scored):
    item: str
    category: str
    category_name: str = ""


class GarbageCategory(Named, BinAdvice):
    examples: list[str] = []


class Provenance(Model):
    partner: str = ""
    partner_id: str = ""
    as_of: str = ""
    sample_data: bool = False


class UtilityAccount(Model):
    account_no: str
    kind: str
    kind_label: str = ""
    holder_masked: str = ""
    address_masked: str = ""


class Bill(Model):
    period: str
    usage: Optional[float] = None
    unit: str = ""
    amount_cny: float
    due_date: Optional[str] = None
    status: str
    status_label: str = ""


class Bills(Model):
    account: UtilityAccount
    bills: list[Bill] = []
    total_unpaid_cny: float = 0.0
    currency: str = "CNY"
    provenance: Optional[Provenance] = None


class Trip(Model):
    date: str
    mode: str
    mode_label: str = ""
    fare_cny: float


class TransportCard(Model):
    card_no: str
    balance_cny: float
    currency: str = "CNY"
    status: str
    status_label: str = ""
    trips: list[Trip] = []
    provenance: Optional[Provenance] = None
