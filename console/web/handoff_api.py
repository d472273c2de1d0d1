"""The handoff's machine side: the action server asks for a person; Rasa reports a citizen who
left. Bearer token CONSOLE_HANDOFF_TOKEN; JSON in, JSON out, JSON errors."""
from __future__ import annotations

import hmac
from datetime import datetime, timezone
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from console.handoff import queue
from console.handoff.hours import CalendarUnavailable

router = APIRouter(prefix="/api/handoffs")
MAX_BODY = 4096


class HandoffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversation_id: str = Field(min_length=1, max_length=255)
    channel: str = Field(min_length=1, max_length=32)
    language: Literal["zh", "en"] = "zh"
    reason: Literal["asked", "fallback"] = "asked"


class CitizenLeft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conversation_id: str = Field(min_length=1, max_length=255)


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _body(request: Request, model: type[BaseModel]) -> BaseModel | JSONResponse:
    expected = request.app.state.settings.handoff_token
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return error(401, "unauthorized", "A valid bearer token is required.")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return error(413, "too_large", f"The body is limited to {MAX_BODY} bytes.")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        return error(422, "invalid_body", f"Invalid or missing fields: {fields}"[:300])


def take_place(session: Session, services, body: HandoffRequest, now: datetime) -> dict:
    try:
        open_now = services.hours.open_at(now)
    except CalendarUnavailable:
        open_now = False
    if not open_now:
        return {"status": "unavailable", "reason": "closed"}
    queue.requeue_idle(session, now, services.idle)
    if (queue.open_handoff(session, body.conversation_id) is None
            and not queue.available_agents(session)):
        return {"status": "unavailable", "reason": "no_agent"}
    queued = queue.enqueue(session, body.conversation_id, body.channel, body.language,
                           body.reason, now)
    return {"status": "queued", "position": queued.position, "handoff_id": queued.handoff.id}


async def _answer(request: Request, model: type[BaseModel], work) -> dict | JSONResponse:
    """Checks the token and body, then runs `work(session, body, now)` in one transaction."""
    body = await _body(request, model)
    if isinstance(body, JSONResponse):
        return body
    app = request.app

    def run() -> dict:
        with app.state.sessions() as session, session.begin():
            return work(session, body, datetime.now(timezone.utc))
    return await run_in_threadpool(run)


@router.post("")
async def request_person(request: Request):
    """{"status": "queued", "position": n} or {"status": "unavailable", "reason": "closed" |
    "no_agent"} (the citizen is then offered 12345 and a call-back ticket)."""
    services = request.app.state.handoff
    return await _answer(request, HandoffRequest,
                         lambda session, body, now: take_place(session, services, body, now))


@router.post("/left")
async def citizen_left(request: Request):
    return await _answer(request, CitizenLeft, lambda session, body, now: {
        "handoff": queue.citizen_left(session, body.conversation_id, now)})
