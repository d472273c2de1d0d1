"""Conversations page: filtered list and transcripts with intent and confidence per message."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from console import reports
from console.ingest.store import OUTCOME_KINDS
from console.settings import Settings
from console.web.context import Operator, PageError, db, render, require, settings
from console.web.i18n import LANGUAGES

router = APIRouter()
PAGE = 50


def _date(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise PageError(400, "bad_date") from None


@router.get("/conversations")
def conversation_list(request: Request, date_from: str | None = None, date_to: str | None = None,
                      channel: str | None = None, language: str | None = None,
                      outcome: str | None = None, intent: str | None = None,
                      low_confidence: str | None = None, page: int = 0,
                      op: Operator = Depends(require("viewer")), session: Session = Depends(db),
                      cfg: Settings = Depends(settings)):
    f = reports.ConversationFilter(
        date_from=_date(date_from), date_to=_date(date_to), channel=channel or None,
        language=language or None, outcome=outcome or None, intent=(intent or "").strip() or None,
        low_confidence=bool(low_confidence))
    page = max(0, min(page, 10_000))
    rows = reports.list_conversations(session, f, cfg.inbox_threshold, PAGE + 1, page * PAGE)
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    return render(request, "conversations.html", op, rows=rows[:PAGE], more=len(rows) > PAGE,
                  page=page, f=f, query=query, channels=reports.channels(session),
                  languages=LANGUAGES, outcomes=OUTCOME_KINDS)


@router.get("/conversations/{conversation_id:path}")
def conversation_transcript(request: Request, conversation_id: str,
                            op: Operator = Depends(require("viewer")),
                            session: Session = Depends(db), cfg: Settings = Depends(settings)):
    conv, messages, outcomes = reports.transcript(session, conversation_id)
    if conv is None:
        raise PageError(404, "not_found")
    return render(request, "transcript.html", op, conv=conv, messages=messages,
                  outcomes=outcomes, threshold=cfg.inbox_threshold,
                  verdicts=reports.verdicts(session, [m.id for m in messages]))
