"""The agent desk: the live queue of conversations waiting for a person, the conversations an
agent holds, and what an agent does with them (JSON actions, a server-sent event stream).

Every action is a JSON POST carrying the login's CSRF token in the X-CSRF-Token header; errors
are JSON `{"error": {"code", "message"}}` in the agent's language.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import datetime, timezone
from typing import Any, Callable

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from console import audit
from console.handoff import queue
from console.handoff.queue import HandoffError
from console.handoff.relay import RelayError
from console.handoff.services import HandoffServices
from console.handoff.tickets import TicketRefused, file_ticket
from console.models import Handoff, User
from console.web.accounts import find_session
from console.web.context import SESSION_COOKIE, Operator, render, require
from console.web.i18n import translate
from console.web.roles import at_least

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/desk")
MAX_BODY = 16 * 1024
TICK_SECONDS = 1.0
KEEPALIVE_TICKS = 15
# The words desk.js shows, handed to it in the agent's language.
DESK_WORDS = ("available", "away", "you_are_available", "you_are_away", "queue_empty",
              "mine_empty", "accept", "send", "end_handoff", "file_ticket", "description",
              "location", "district", "contact_phone", "ticket_filed_no", "asked",
              "fallback_twice", "citizen_left", "agent_reply", "citizen", "assistant",
              "waiting_since", "connection_lost", "channel", "language", "reply")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return queue.aware(value).isoformat() if value else None


def _agent_of(session: Session, request: Request) -> Operator:
    found = find_session(session, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise HandoffError(401, "login_needed")
    login, user = found
    if not at_least(user.role, "agent"):
        raise HandoffError(403, "forbidden")
    return Operator(user=user, login=login)


def _card(session: Session, handoff: Handoff, place: int | None = None) -> dict[str, Any]:
    return {
        "id": handoff.id, "conversation_id": handoff.conversation_id, "channel": handoff.channel,
        "language": handoff.language, "reason": handoff.reason, "position": place,
        "queued_at": _iso(handoff.queued_at), "citizen_left": handoff.citizen_left_at is not None,
        "transcript": [{"sender": m.sender, "text": m.text, "agent_id": m.agent_id,
                        "at": _iso(m.timestamp)}
                       for m in queue.transcript(session, handoff.conversation_id)],
    }


def snapshot(session: Session, agent: User, services: HandoffServices, now: datetime) -> dict:
    """What the desk shows this agent; idle holders lose their conversations first."""
    queue.requeue_idle(session, now, services.idle)
    session.flush()
    return {
        "available": queue.is_available(session, agent),
        "queue": [_card(session, h, i) for i, h in enumerate(queue.waiting(session), 1)],
        "mine": [_card(session, h) for h in queue.held_by(session, agent)],
    }


def _error(key: str, status: int, language: str, detail: str = "") -> JSONResponse:
    message = translate(key, language) + (f" {detail}" if detail else "")
    return JSONResponse({"error": {"code": key, "message": message}}, status_code=status)


async def _act(request: Request, action: Callable[..., Any]) -> JSONResponse | dict:
    """Runs `action(session, op, services, now, body)` in one transaction, for a logged-in agent
    whose CSRF token came along; HandoffError, a refused delivery and a database that is away become
    JSON errors."""
    raw = await request.body()
    app = request.app
    token = request.headers.get("x-csrf-token", "")

    def run() -> JSONResponse | dict:
        language = "zh"
        with app.state.sessions() as session:
            try:
                op = _agent_of(session, request)
                language = op.language
                if not token or not hmac.compare_digest(token.encode(),
                                                        op.login.csrf_token.encode()):
                    raise HandoffError(403, "csrf")
                if len(raw) > MAX_BODY:
                    raise HandoffError(413, "too_long")
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise HandoffError(400, "bad_request") from None
                if not isinstance(body, dict):
                    raise HandoffError(400, "bad_request")
                result = action(session, op, app.state.handoff, _now(), body)
                session.commit()
                return result
            except HandoffError as exc:
                session.rollback()
                return _error(exc.key, exc.status, language)
            except RelayError:
                session.rollback()
                return _error("delivery_failed", 502, language)
            except OperationalError as exc:  # the database away or busy: nothing was stored
                logger.warning("desk action failed on the database (%s)", type(exc.orig).__name__)
                session.rollback()
                return _error("database_busy", 503, language)
            except TicketRefused as exc:
                session.rollback()
                return _error(exc.key, 400 if exc.key == "ticket_invalid" else 503, language,
                              exc.detail)
    return await run_in_threadpool(run)


def _agent_card(op: Operator) -> dict[str, Any]:
    return {"id": op.user.id, "name": op.user.username}


@router.get("")
def desk_page(request: Request, op: Operator = Depends(require("agent"))):
    return render(request, "desk.html", op,
                  words={key: translate(key, op.language) for key in DESK_WORDS})


def _read_state(request: Request) -> dict | HandoffError:
    """The desk's state for the request's agent (the error without an agent's login)."""
    app = request.app
    with app.state.sessions() as session:
        try:
            op = _agent_of(session, request)
        except HandoffError as exc:
            return exc
        state = snapshot(session, op.user, app.state.handoff, _now())
        session.commit()
        return state


@router.get("/state")
async def desk_state(request: Request):
    state = await run_in_threadpool(_read_state, request)
    return _error(state.key, state.status, "zh") if isinstance(state, HandoffError) else state


@router.get("/events")
async def desk_events(request: Request):
    """Server-sent events: the desk's state each time it changes (checked every second), and a
    comment line now and then so proxies keep the stream open. Ends when the login does."""
    first = await run_in_threadpool(_read_state, request)
    if isinstance(first, HandoffError):
        return _error(first.key, first.status, "zh")

    async def stream():
        state, last, quiet = first, None, 0
        while isinstance(state, dict) and not await request.is_disconnected():
            encoded = json.dumps(state, ensure_ascii=False, sort_keys=True)
            if encoded != last:
                yield f"event: desk\ndata: {encoded}\n\n"
                last, quiet = encoded, 0
            else:
                quiet += 1
                if quiet >= KEEPALIVE_TICKS:
                    yield ": keepalive\n\n"
                    quiet = 0
            await asyncio.sleep(TICK_SECONDS)
            state = await run_in_threadpool(_read_state, request)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"X-Accel-Buffering": "no"})


@router.post("/presence")
async def presence(request: Request):
    def act(session, op, _services, now, body):
        if not isinstance(body.get("available"), bool):
            raise HandoffError(400, "bad_request")
        queue.set_presence(session, op.user, body["available"], now)
        return {"available": body["available"]}
    return await _act(request, act)


@router.post("/handoffs/{handoff_id}/accept")
async def accept(request: Request, handoff_id: int):
    def act(session, op, services, now, _body):
        queue.requeue_idle(session, now, services.idle)
        handoff = queue.accept(session, handoff_id, op.user, now)
        services.relay.send("join", handoff.conversation_id, handoff.language, _agent_card(op))
        return {"id": handoff.id, "status": handoff.status}
    return await _act(request, act)


@router.post("/handoffs/{handoff_id}/reply")
async def reply(request: Request, handoff_id: int):
    def act(session, op, services, now, body):
        handoff = queue.held(session, handoff_id, op.user)
        text = queue.checked_reply(body.get("text"))
        reply_id = queue.new_reply_id()
        # Delivered first, stored after: a reply Rasa refused is not shown as sent.
        services.relay.send("reply", handoff.conversation_id, handoff.language, _agent_card(op),
                            text=text, reply_id=reply_id)
        message = queue.record_reply(session, handoff, op.user, text, reply_id, now)
        return {"id": handoff.id, "text": message.text}
    return await _act(request, act)


@router.post("/handoffs/{handoff_id}/end")
async def end(request: Request, handoff_id: int):
    def act(session, op, services, now, _body):
        handoff = queue.held(session, handoff_id, op.user)
        services.relay.send("end", handoff.conversation_id, handoff.language, _agent_card(op))
        queue.end(session, handoff, op.user, now)
        return {"id": handoff.id, "status": "ended"}
    return await _act(request, act)


@router.post("/handoffs/{handoff_id}/ticket")
async def ticket(request: Request, handoff_id: int):
    def act(session, op, services, now, body):
        handoff = queue.held(session, handoff_id, op.user)
        number = file_ticket(services.dataservice, body, handoff.language)
        audit.record(session, op.user.username, "handoff.ticket",
                     f"conversation:{handoff.conversation_id}", None, {"ticket_no": number})
        return {"ticket_no": number}
    return await _act(request, act)
