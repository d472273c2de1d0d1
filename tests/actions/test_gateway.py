"""The data-service gateway's own behaviour, against small local servers that misbehave on purpose:
a deadline that really cancels a hanging call, retries for GETs only, the breaker, the reference
cache (named holidays too), the API key and Idempotency-Key headers."""
from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web

from actions.api.dataservice import DataServiceUnavailable, NotFound, Rejected
from actions.api.gateway import DataServiceGateway
from actions.settings import ActionSettings

pytestmark = pytest.mark.asyncio


class Server:
    """An aiohttp app on a free loopback port that records every request."""

    def __init__(self, handler):
        self.requests: list[web.Request] = []
        self.handler = handler

    async def __aenter__(self) -> "Server":
        async def record(request: web.Request) -> web.StreamResponse:
            self.requests.append(request)
            return await self.handler(request)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", record)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()

    def gateway(self, **settings) -> DataServiceGateway:
        return DataServiceGateway(ActionSettings(dataservice_url=self.url,
                                                 dataservice_api_key="gateway-test-key", **settings))


async def test_the_deadline_cancels_a_hanging_call_before_the_read_timeout():
    async def hang(request):
        await asyncio.sleep(3)  # well past the deadline; the server's clean-up waits for it
        return web.json_response({})
    async with Server(hang) as server:
        gateway = server.gateway(read_timeout=10.0, deadline_seconds=0.3)
        started = time.monotonic()
        with pytest.raises(DataServiceUnavailable, match="deadline"):
            await gateway.districts("zh")
        assert time.monotonic() - started < 1.5


async def test_gets_are_retried_on_a_gateway_error_posts_are_not():
    async def unavailable(request):
        return web.json_response({"error": {"code": "down"}}, status=503)
    async with Server(unavailable) as server:
        gateway = server.gateway()
        with pytest.raises(DataServiceUnavailable):
            await gateway.transport_card("31008815263", "en")
        assert len(server.requests) == 3  # the GET and two retries
        with pytest.raises(DataServiceUnavailable):
            await gateway.classify_ticket("路灯坏了", "zh")
        assert len(server.requests) == 4  # the POST once


async def test_the_breaker_opens_after_repeated_faults_and_then_fails_fast():
    async def broken(request):
        return web.json_response({}, status=500)
    async with Server(broken) as server:
        gateway = server.gateway(breaker_fail_max=2, breaker_reset_seconds=60)
        for _ in range(2):
            with pytest.raises(DataServiceUnavailable):
                await gateway.ticket("12345-20261118-W4TZ6R", "zh")
        seen = len(server.requests)
        with pytest.raises(DataServiceUnavailable):
            await gateway.ticket("12345-20261118-W4TZ6R", "zh")
        assert len(server.requests) == seen  # open: not even tried


async def test_client_errors_are_not_faults():
    async def refuse(request):
        if request.path == "/v1/tickets/classify":
            return web.json_response({"error": {"code": "validation_error", "message": "bad"}},
                                     status=422)
        return web.json_response({"error": {"code": "not_found"}}, status=404)
    async with Server(refuse) as server:
        gateway = server.gateway(breaker_fail_max=1)
        for _ in range(3):
            with pytest.raises(NotFound):
                await gateway.ticket("12345-20261118-W4TZ6R", "zh")
        with pytest.raises(Rejected) as refused:
            await gateway.classify_ticket("x", "zh")
        assert (refused.value.status, refused.value.code) == (422, "validation_error")


async def test_reference_lists_are_fetched_once_per_language():
    async def districts(request):
        lang = request.query["lang"]
        return web.json_response({"items": [{"code": "pudong",
                                             "name": "浦东新区" if lang == "zh" else "Pudong"}]})
    async with Server(districts) as server:
        gateway = server.gateway()
        assert await gateway.district_name("pudong", "zh") == "浦东新区"
        assert await gateway.district_name("pudong", "zh") == "浦东新区"
        assert await gateway.district_name("xuhui", "zh") == "xuhui"  # unknown: the code itself
        assert await gateway.district_name("pudong", "en") == "Pudong"
        assert len(server.requests) == 2


async def test_a_named_holiday_is_asked_once_per_name_day_and_language():
    async def next_holiday(request):
        if request.query["name"] == "圣诞节":
            return web.json_response({"error": {"code": "unknown_holiday", "message": ""}}, status=404)
        return web.json_response({"code": "spring_festival", "name": "春节", "date": "2031-01-23",
                                  "holiday_data": False})
    async with Server(next_holiday) as server:
        gateway = server.gateway()
        for _ in range(2):
            holiday = await gateway.next_holiday("过年", "2030-11-01", "zh")
            assert (holiday.code, holiday.name, holiday.date) == ("spring_festival", "春节", "2031-01-23")
        with pytest.raises(NotFound):
            await gateway.next_holiday("圣诞节", "2030-11-01", "zh")
        first = server.requests[0]
        assert first.path == "/v1/calendar/holidays/next"
        assert dict(first.query) == {"name": "过年", "from": "2030-11-01", "lang": "zh"}
        assert len(server.requests) == 2


async def test_lists_and_matches_arrive_as_typed_items():
    async def answer(request):
        if request.path.endswith("/resolve"):
            return web.json_response({"query": request.query["q"], "matches": [
                {"code": "passport", "name": "护照", "score": 91, "confident": True}]})
        return web.json_response({"items": [{"code": "pudong", "name": "Pudong", "new_field": 1}]})
    async with Server(answer) as server:
        gateway = server.gateway()
        [match] = await gateway.resolve_service("办护照", "zh")
        assert (match.code, match.confident, match.score) == ("passport", True, 91)
        [district] = await gateway.districts("en")
        assert district.name == "Pudong" and district.new_field == 1  # later fields are kept


async def test_every_request_carries_the_key_and_a_booking_its_idempotency_key():
    async def book(request):
        return web.json_response({
            "booking_no": "AP261130LZ5BJ6TC", "status": "booked",
            "slot": {"slot_id": 1, "date": "2026-11-30", "start": "08:30", "end": "09:30"},
            "center": {"id": "huangpu-hukou"}, "service": {"code": "resident_id_card"}}, status=201)
    async with Server(book) as server:
        booking = await server.gateway().book(1, "张伟明", "13817265590", "zh", "key-1")
        assert booking.booking_no == "AP261130LZ5BJ6TC" and booking.slot.start == "08:30"
        [request] = server.requests
        assert request.headers["X-API-Key"] == "gateway-test-key"
        assert request.headers["Idempotency-Key"] == "key-1"
