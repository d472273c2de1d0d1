"""Inbox page: review groups of misunderstood messages and annotate a whole group at once."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from console import review, training_data
from console.ingest.events import normalize_text
from console.settings import Settings
from console.web.context import Operator, PageError, checked_form, db, render, require, settings

router = APIRouter()
PAGE = 50


def _threshold(raw: str | None, default: float) -> float:
    try:
        value = float(raw) if raw not in (None, "") else default
    except ValueError:
        raise PageError(400, "bad_request") from None
    if not 0.0 <= value <= 1.0:
        raise PageError(400, "bad_request")
    return value


def _page(request: Request, op: Operator, session: Session, cfg: Settings, threshold: float,
          status: int = 200, error: tuple[str, dict] | None = None,
          notice: tuple[str, dict] | None = None):
    groups = review.inbox_groups(session, threshold, limit=PAGE)
    found = review.conflicts(session, training_data.trained_intents(cfg.nlu_path))
    return render(request, "inbox.html", op, status=status, groups=groups, conflicts=found,
                  threshold=threshold, intents=sorted(training_data.intents(cfg.domain_path)),
                  error=error, notice=notice)


@router.get("/inbox")
def inbox(request: Request, threshold: str | None = None, done: str | None = None, count: int = 0,
          op: Operator = Depends(require("viewer")),
          session: Session = Depends(db), cfg: Settings = Depends(settings)):
    # The confirmation of the decision that redirected here (only known keys, a number).
    notice = (f"{done}_ok", {"count": count}) if done in review.STATUSES else None
    return _page(request, op, session, cfg, _threshold(threshold, cfg.inbox_threshold), notice=notice)


@router.post("/inbox/decide")
async def decide(request: Request, op: Operator = Depends(require("annotator")),
                 session: Session = Depends(db), cfg: Settings = Depends(settings)):
    form = await checked_form(request, op.login.csrf_token)
    threshold = _threshold(str(form.get("threshold") or ""), cfg.inbox_threshold)
    entities = [{"entity": kind, "value": normalize_text(str(form.get(kind)))}
                for kind in review.ENTITY_KINDS if str(form.get(kind) or "").strip()]
    try:
        changed = review.decide_group(
            session, op.user, str(form.get("normalized_text") or ""),
            str(form.get("decision") or ""), str(form.get("intent") or "").strip() or None,
            entities, training_data.intents(cfg.domain_path))
    except review.ReviewError as exc:
        session.rollback()
        return _page(request, op, session, cfg, threshold, status=400,
                     error=(exc.key, exc.values))
    session.commit()
    return RedirectResponse(f"/inbox?threshold={threshold}&done={form.get('decision')}&count={changed}",
                            status_code=303)
