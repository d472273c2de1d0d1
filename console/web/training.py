"""Training pages: start and follow jobs, read the gate, promote and roll back."""
from __future__ import annotations

import logging
from typing import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from console import training_data
from console.models import TrainingJob
from console.settings import Settings
from console.training import jobs, registry
from console.training.queue import TrainingQueue
from console.web.context import Operator, PageError, checked_form, db, render, require, settings

router = APIRouter()
logger = logging.getLogger(__name__)


def _queue(request: Request) -> TrainingQueue:
    state = request.app.state
    if getattr(state, "training_queue", None) is None:
        state.training_queue = TrainingQueue(state.settings, state.sessions)
    return state.training_queue


def _list(request: Request, op: Operator, session: Session, cfg: Settings, status: int = 200,
          error: str | None = None):
    return render(request, "training.html", op, status=status, jobs=jobs.recent(session),
                  production=registry.production(session, cfg.models_path),
                  history=registry.history(session), error=error)


def _job(session: Session, job_id: int) -> TrainingJob:
    job = session.get(TrainingJob, job_id) if 0 < job_id < 2**31 else None
    if job is None:
        raise PageError(404, "not_found")
    return job


def _job_page(request: Request, op: Operator, session: Session, cfg: Settings, job: TrainingJob,
              status: int = 200, error: str | None = None):
    production = registry.production(session, cfg.models_path)
    return render(request, "training_job.html", op, status=status, job=job, error=error,
                  is_production=production is not None and production.sha256 == job.model_sha256)


@router.get("/training")
def training(request: Request, op: Operator = Depends(require("viewer")),
             session: Session = Depends(db), cfg: Settings = Depends(settings)):
    return _list(request, op, session, cfg)


@router.post("/training/start")
async def start(request: Request, op: Operator = Depends(require("trainer")),
                session: Session = Depends(db), cfg: Settings = Depends(settings)):
    await checked_form(request, op.login.csrf_token)
    try:
        job = jobs.start(session, op.user, training_data.trained_intents(cfg.nlu_path))
    except jobs.JobError as exc:
        session.rollback()
        return _list(request, op, session, cfg, status=400, error=exc.key)
    session.commit()
    try:
        _queue(request).enqueue(job.id)
    except Exception:  # the queue (Redis) is down: say so, and leave no job waiting forever
        logger.exception("could not queue training job %s", job.id)
        jobs.fail_unqueued(session, job)
        session.commit()
        return _list(request, op, session, cfg, status=503, error="queue_down")
    return RedirectResponse(f"/training/jobs/{job.id}", status_code=303)


@router.get("/training/jobs/{job_id}")
def job_page(request: Request, job_id: int, op: Operator = Depends(require("viewer")),
             session: Session = Depends(db), cfg: Settings = Depends(settings)):
    return _job_page(request, op, session, cfg, _job(session, job_id))


async def _job_action(request: Request, job_id: int, op: Operator, session: Session,
                      cfg: Settings, act: Callable[[TrainingJob], object], then: str):
    await checked_form(request, op.login.csrf_token)
    job = _job(session, job_id)
    try:
        act(job)
    except (jobs.JobError, registry.PromotionError) as exc:
        session.rollback()
        return _job_page(request, op, session, cfg, job, status=409, error=exc.key)
    session.commit()
    return RedirectResponse(then, status_code=303)


@router.post("/training/jobs/{job_id}/cancel")
async def cancel(request: Request, job_id: int, op: Operator = Depends(require("trainer")),
                 session: Session = Depends(db), cfg: Settings = Depends(settings)):
    return await _job_action(request, job_id, op, session, cfg,
                             lambda job: jobs.cancel(session, op.user, job),
                             f"/training/jobs/{job_id}")


@router.post("/training/jobs/{job_id}/promote")
async def promote(request: Request, job_id: int, op: Operator = Depends(require("admin")),
                  session: Session = Depends(db), cfg: Settings = Depends(settings)):
    return await _job_action(request, job_id, op, session, cfg,
                             lambda job: registry.promote(session, op.user, job, cfg.models_path),
                             "/training")


@router.post("/training/rollback")
async def rollback(request: Request, op: Operator = Depends(require("admin")),
                   session: Session = Depends(db), cfg: Settings = Depends(settings)):
    form = await checked_form(request, op.login.csrf_token)
    try:
        entry = int(str(form.get("entry") or ""))
        if not 0 < entry < 2**31:
            raise ValueError(entry)
        registry.rollback(session, op.user, entry, cfg.models_path)
    except ValueError as exc:
        session.rollback()
        key = exc.key if isinstance(exc, registry.PromotionError) else "bad_request"
        return _list(request, op, session, cfg, status=409 if key != "bad_request" else 400,
                     error=key)
    session.commit()
    return RedirectResponse("/training", status_code=303)
