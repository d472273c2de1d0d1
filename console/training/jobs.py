"""Starting and cancelling training jobs (the worker runs them: console/training/runner.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import audit, review
from console.models import TrainingJob, User

ACTIVE = ("queued", "running", "cancelling")


class JobError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def start(session: Session, user: User, trained: dict[str, frozenset[str]]) -> TrainingJob:
    """A new queued job; refused while annotations conflict (they would train contradictions)."""
    if review.conflicts(session, trained):
        raise JobError("training_conflicts")
    job = TrainingJob(status="queued", stage="queued", progress=0, started_by=user.username,
                      created_at=datetime.now(timezone.utc), log="", annotations=0)
    session.add(job)
    session.flush()
    audit.record(session, user.username, "training.start", f"job:{job.id}", None,
                 {"status": "queued"})
    return job


def fail_unqueued(session: Session, job: TrainingJob) -> None:
    job.status, job.error = "failed", "the training queue was unreachable"
    job.finished_at = datetime.now(timezone.utc)


def cancel(session: Session, user: User, job: TrainingJob) -> None:
    """A queued job is cancelled at once; a running one is stopped by its worker."""
    if job.status not in ACTIVE:
        raise JobError("job_not_active")
    before = job.status
    job.status = "cancelled" if before == "queued" else "cancelling"
    if before == "queued":
        job.finished_at = datetime.now(timezone.utc)
    audit.record(session, user.username, "training.cancel", f"job:{job.id}", {"status": before},
                 {"status": job.status})


def recent(session: Session, limit: int = 50) -> list[TrainingJob]:
    return list(session.execute(select(TrainingJob).order_by(TrainingJob.id.desc())
                                .limit(limit)).scalars())
