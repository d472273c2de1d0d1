"""The actions' one gateway to the data service: a method per operation, typed answers.

Reference data (districts, the service catalogue and each service's detail, work-order categories,
garbage categories, calendar days) changes with a release of the data service, not per
conversation: it is kept per process for `REFERENCE_TTL_SECONDS`, so a turn that prints one
district's name costs no download. Personal data (bookings, applications, bills, tickets) is never
cached here. Errors: DataServiceUnavailable, NotFound and Rejected (actions/api/dataservice.py).
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional, TypeVar

from cachetools import TTLCache

from actions.api import models as m
from actions.api.dataservice import NotFound, Transport
from actions.settings import ActionSettings, get_settings

REFERENCE_TTL_SECONDS = 300
REFERENCE_CACHE_SIZE = 512
RESOLVE_LIMIT = 4
T = TypeVar("T")


class DataServiceGateway:
    def __init__(self, settings: ActionSettings | None = None):
        self.transport = Transport(settings or get_settings())
        self._reference: TTLCache = TTLCache(maxsize=REFERENCE_CACHE_SIZE, ttl=REFERENCE_TTL_SECONDS)

    async def _cached(self, key: tuple, load: Callable[[], Awaitable[T]]) -> T:
        # Two conversations asking at once may both load: harmless, and no lock to hold.
        if key in self._reference:
            return self._reference[key]
        value = await load()
        self._reference[key] = value
        return value

    async def _items(self, path: str, params: dict, model: type[T]) -> list[T]:
        return m.ItemList[model].parse_obj(await self.transport.get(path, params=params)).items

    # -- service catalogue ---------------------------------------------------------------------
    async def services(self, lang: str) -> list[m.Named]:
        return await self._cached(("services", lang),
                                  lambda: self._items("/v1/services", {"lang": lang}, m.Named))

    async def service(self, code: str, lang: str) -> m.ServiceDetail:
        """One service (NotFound for an unknown code)."""
        async def load() -> m.ServiceDetail:
            return m.ServiceDetail.parse_obj(
                await self.transport.get(f"/v1/services/{code}", params={"lang": lang}))
        return await self._cached(("service", code, lang), load)

    async def service_name(self, code: str, lang: str) -> str:
        try:
            return (await self.service(code, lang)).name or code
        except NotFound:
            return code

    async def resolve_service(self, text: str, lang: str) -> list[m.Match]:
        return await self._resolve("services", text, lang)

    # -- districts -----------------------------------------------------------------------------
    async def districts(self, lang: str) -> list[m.Named]:
        return await self._cached(("districts", lang),
                                  lambda: self._items("/v1/districts", {"lang": lang}, m.Named))

    async def district_name(self, code: str, lang: str) -> str:
        return next((d.name for d in await self.districts(lang) if d.code == code), code)

    async def resolve_district(self, text: str, lang: str) -> list[m.Match]:
        return await self._resolve("districts", text, lang)

    async def _resolve(self, kind: str, text: str, lang: str) -> list[m.Match]:
        return await self._items(f"/v1/{kind}/resolve",
                                 {"q": text, "lang": lang, "limit": RESOLVE_LIMIT}, m.Match)

    # -- centres, hours, calendar --------------------------------------------------------------
    async def centres(self, lang: str, district: Optional[str] = None,
                      service: Optional[str] = None) -> list[m.Centre]:
        """Centres, of one district and/or handling one service (NotFound for an unknown code)."""
        params = {"lang": lang, "district": district, "service": service}
        return await self._items("/v1/centers", {k: v for k, v in params.items() if v}, m.Centre)

    async def nearest_centres(self, lat: float, lon: float, lang: str, service: Optional[str] = None,
                              limit: int = 3) -> list[m.Centre]:
        params: dict[str, Any] = {"lat": lat, "lon": lon, "lang": lang, "limit": limit}
        if service:
            params["service"] = service
        return await self._items("/v1/centers/nearest", params, m.Centre)

    async def centre(self, centre_id: str, lang: str) -> m.Centre:
        return m.Centre.parse_obj(
            await self.transport.get(f"/v1/centers/{centre_id}", params={"lang": lang}))

    async def hours(self, centre_id: str, day: str, lang: str) -> m.DayHours:
        """Whether a centre is open on `day` (YYYY-MM-DD), after the official holiday calendar."""
        return m.DayHours.parse_obj(await self.transport.get(
            f"/v1/centers/{centre_id}/hours", params={"date": day, "lang": lang}))

    async def calendar(self, day: str, lang: str) -> m.CalendarDay:
        async def load() -> m.CalendarDay:
            return m.CalendarDay.parse_obj(
                await self.transport.get(f"/v1/calendar/{day}", params={"lang": lang}))
        return await self._cached(("calendar", day, lang), load)

    async def next_holiday(self, name: str, start: str, lang: str) -> m.NextHoliday:
        """The next occurrence, from `start` (YYYY-MM-DD) on, of the statutory holiday `name` names
        in either language ("过年", "golden week"); NotFound when it names none."""
        async def load() -> m.NextHoliday:
            return m.NextHoliday.parse_obj(await self.transport.get(
                "/v1/calendar/holidays/next", params={"name": name, "from": start, "lang": lang}))
        return await self._cached(("next_holiday", name, start, lang), load)

    # -- appointments --------------------------------------------------------------------------
    async def slots(self, centre_id: str, service: str, lang: str,
                    day: Optional[str] = None) -> m.Slots:
        """Bookable slots (next 14 days without `day`); NotFound if the centre lacks the service."""
        params = {"center": centre_id, "service": service, "lang": lang}
        if day:
            params["date"] = day
        return m.Slots.parse_obj(await self.transport.get("/v1/slots", params=params))

    async def book(self, slot_id: int, name: str, phone: str, lang: str,
                   idempotency_key: str) -> m.Booking:
        body = {"slot_id": slot_id, "name": name, "phone": phone, "language": lang}
        return m.Booking.parse_obj(
            await self.transport.post("/v1/appointments", body, idempotency_key=idempotency_key))

    async def lookup_booking(self, booking_no: str, phone_last4: str, lang: str) -> m.Booking:
        return await self._booking("/v1/appointments/lookup", booking_no, phone_last4, lang)

    async def cancel_booking(self, booking_no: str, phone_last4: str, lang: str) -> m.Booking:
        """Safe to repeat: cancelling a cancelled booking returns it unchanged."""
        return await self._booking("/v1/appointments/cancel", booking_no, phone_last4, lang)

    async def _booking(self, path: str, booking_no: str, phone_last4: str, lang: str) -> m.Booking:
        body = {"booking_no": booking_no, "phone_last4": phone_last4}
        return m.Booking.parse_obj(await self.transport.post(path, body, params={"lang": lang}))

    # -- applications --------------------------------------------------------------------------
    async def lookup_application(self, application_no: str, phone_last4: str,
                                 lang: str) -> m.Application:
        body = {"application_no": application_no, "phone_last4": phone_last4}
        return m.Application.parse_obj(
            await self.transport.post("/v1/applications/lookup", body, params={"lang": lang}))

    # -- 12345 tickets -------------------------------------------------------------------------
    async def create_ticket(self, **fields: Any) -> m.CreatedTicket:
        """`POST /v1/tickets`; fields as docs/dataservice.md lists them (description, location,
        district, type, category, channel, language, ...)."""
        return m.CreatedTicket.parse_obj(await self.transport.post("/v1/tickets", fields))

    async def ticket(self, ticket_no: str, lang: str) -> m.Ticket:
        return m.Ticket.parse_obj(
            await self.transport.get(f"/v1/tickets/{ticket_no}", params={"lang": lang}))

    async def classify_ticket(self, text: str, lang: str) -> m.Classification:
        return m.Classification.parse_obj(
            await self.transport.post("/v1/tickets/classify", {"text": text, "lang": lang}))

    async def ticket_categories(self, lang: str) -> list[m.Category]:
        return await self._cached(
            ("ticket_categories", lang),
            lambda: self._items("/v1/tickets/categories", {"lang": lang}, m.Category))

    # -- garbage sorting -----------------------------------------------------------------------
    async def classify_garbage(self, query: str, lang: str, limit: int = 3) -> list[m.GarbageMatch]:
        return await self._items("/v1/garbage/classify",
                                 {"q": query, "lang": lang, "limit": limit}, m.GarbageMatch)

    async def garbage_categories(self, lang: str) -> list[m.GarbageCategory]:
        return await self._cached(
            ("garbage_categories", lang),
            lambda: self._items("/v1/garbage/categories", {"lang": lang}, m.GarbageCategory))

    # -- partners ------------------------------------------------------------------------------
    async def bills(self, kind: str, account_no: str, verification: str, lang: str) -> m.Bills:
        body = {"kind": kind, "account_no": account_no, "verification": verification}
        return m.Bills.parse_obj(
            await self.transport.post("/v1/utilities/bills/lookup", body, params={"lang": lang}))

    async def transport_card(self, card_no: str, lang: str) -> m.TransportCard:
        return m.TransportCard.parse_obj(
            await self.transport.get(f"/v1/transport-cards/{card_no}", params={"lang": lang}))


_gateway: DataServiceGateway | None = None


def get_gateway() -> DataServiceGateway:
    """One gateway (one connection pool, one breaker, one cache) per action-server process."""
    global _gateway
    if _gateway is None:
        _gateway = DataServiceGateway()
    return _gateway


def set_gateway(gateway: DataServiceGateway | None) -> None:
    """Tests point the actions at a data service of their own."""
    global _gateway
    _gateway = gateway
