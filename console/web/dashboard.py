"""Dashboard page: messages per day, fallback rate, top intents, top unanswered messages."""
from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from console import reports
from console.settings import Settings
from console.web.context import Operator, db, render, require, settings

router = APIRouter()
DAYS = 30


@router.get("/dashboard")
def dashboard(request: Request, op: Operator = Depends(require("viewer")),
              session: Session = Depends(db), cfg: Settings = Depends(settings)):
    today = datetime.now(timezone.utc).date()
    data = reports.dashboard(session, today, DAYS, cfg.inbox_threshold)
    return render(request, "dashboard.html", op, d=data, days=DAYS,
                  peak=max(data.messages_per_day + [1]),
                  intent_peak=max([n for _, n in data.top_intents] + [1]),
                  unanswered_peak=max([n for _, n in data.top_unanswered] + [1]))
