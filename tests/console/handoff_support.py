"""The agent desk under test: agents, and the desk's outside connections on in-process fakes
(Rasa's agent relay records what it is asked to deliver; the calendar and ticket endpoints answer
like the data service's)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import httpx

from console.handoff.hours import WorkingHours
from console.handoff.relay import Relay
from console.handoff.services import HandoffServices
from signing.relay import SIGNATURE_HEADER, TIMESTAMP_HEADER, valid

SECRET = "test-relay-secret"
TOKEN = "test-handoff-token"
AGENTS = ("agent1", "agent2", "agent3")
HOLIDAYS = {"2026-10-01"}  # National Day
MAKEUP_DAYS = {"2026-10-10"}  # a Saturday worked


@dataclass
class FakeRasa:
    """Records every relay request after checking its signature; `down` makes it refuse."""
    sent: list[dict] = field(default_factory=list)
    down: bool = False
    # Called with each delivered reply before the desk answers: what Rasa's event broker and
    # the console's consumer may do while the desk has not stored the reply yet.
    on_reply: Callable[[dict], None] | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if not valid(SECRET, body, request.headers.get(TIMESTAMP_HEADER),
                     request.headers.get(SIGNATURE_HEADER)):
            return httpx.Response(401, json={"error": "bad signature"})
        if self.down:
            return httpx.Response(503, json={"error": "down"})
        self.sent.append(json.loads(body))
        if self.on_reply is not None and self.sent[-1]["kind"] == "reply":
            self.on_reply(self.sent[-1])
        return httpx.Response(200, json={"ok": True})

    def kinds(self) -> list[str]:
        return [s["kind"] for s in self.sent]


@dataclass
class FakeDataService:
    calendar_up: bool = True
    tickets: list[dict] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/v1/calendar/"):
            if not self.calendar_up:
                return httpx.Response(503, json={"error": {"code": "unavailable"}})
            day = path.rsplit("/", 1)[1]
            from datetime import date
            weekday = date.fromisoformat(day).weekday()
            workday = day in MAKEUP_DAYS or (weekday < 5 and day not in HOLIDAYS)
            return httpx.Response(200, json={"date": day, "workday": workday})
        if path == "/v1/tickets" and request.method == "POST":
            body = json.loads(request.read())
            if len(body.get("description", "")) < 5 or not body.get("location"):
                return httpx.Response(422, json={"error": {"code": "validation_error",
                                                           "message": "description: too short"}})
            self.tickets.append(body)
            return httpx.Response(201, json={"ticket_no": f"T{len(self.tickets):04d}"})
        return httpx.Response(404)


def services(rasa: FakeRasa, data: FakeDataService, hours: str = "00:00-24:00",
             idle_minutes: float = 5.0) -> HandoffServices:
    ds = httpx.MockTransport(data.handle)
    return HandoffServices(
        hours=WorkingHours(hours, "http://dataservice", "k", transport=ds),
        relay=Relay("http://rasa", SECRET, transport=httpx.MockTransport(rasa.handle)),
        dataservice=httpx.Client(base_url="http://dataservice", transport=ds),
        idle=timedelta(minutes=idle_minutes))
