"""The training queue (huey): Redis in production, a SQLite file for `make run`. One worker
thread, and a lock shared through the queue's storage, so jobs run one at a time even when more
than one worker is started."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey
from huey.exceptions import TaskLockedException
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console.models import TrainingJob
from console.settings import Settings
from console.training.runner import JobRun
from dataservice.db import make_engine, make_sessionmaker

LOCK = "training"
RETRY_SECONDS = 5
MAX_WAIT_RETRIES = 24 * 3600 // RETRY_SECONDS  # a job waits up to a day for the one before it


def make_huey(settings: Settings) -> Huey:
    url = settings.queue_url
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(settings.queue_name, url=url, results=False)
    if not url.startswith("sqlite:///"):
        raise ValueError("CONSOLE_QUEUE_URL must be a redis:// or sqlite:/// URL")
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str(path), results=False)


class TrainingQueue:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session] | None = None) -> None:
        self.huey = make_huey(settings)
        self.sessions = sessions or make_sessionmaker(make_engine(settings.database_url))

        @self.huey.task(name="console.train", retries=MAX_WAIT_RETRIES, retry_delay=RETRY_SECONDS)
        def train(job_id: int) -> None:
            try:
                with self.huey.lock_task(LOCK):
                    JobRun(settings, self.sessions, job_id).run()
            except TaskLockedException:
                raise  # another worker is training: huey retries this one later
            except Exception:
                return  # the failure is on the job's page; never run a training twice

        self._train = train

    def enqueue(self, job_id: int) -> None:
        self._train(job_id)

    def work(self) -> None:
        """The worker (`python -m console worker`): runs until SIGTERM or SIGINT."""
        self._fail_interrupted()
        # An idle SQLite queue is polled at most every 2 s (Redis blocks on its list instead).
        self.huey.create_consumer(workers=1, worker_type="thread", periodic=False,
                                  max_delay=2.0).run()

    def _fail_interrupted(self) -> None:
        """A job that was running when its worker died never finishes: say so on its page."""
        if self.huey.is_locked(LOCK):
            return
        with self.sessions() as s, s.begin():
            for job in s.execute(select(TrainingJob).where(
                    TrainingJob.status.in_(("running", "cancelling")))).scalars():
                job.status, job.error = "failed", "the worker stopped during this job"
                job.finished_at = datetime.now(timezone.utc)
