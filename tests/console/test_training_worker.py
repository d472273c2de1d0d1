"""The training worker (`python -m console worker`) on the real Redis queue, with the console's
database on SQLite and PostgreSQL: jobs one at a time even with two workers, cancel stops the
training process, a failed training leaves production untouched with its log on the page."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from console.models import Promotion, TrainingJob
from console.settings import Settings
from tests.console.conftest import RUN_ID
from tests.console.training_support import fake_rasa
from tests.console.web import logged_in

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASELINE = b"the production model"


@pytest.fixture
def console_settings(database_url, tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} (start it, see .ci/run): {exc}")
    models = tmp_path / "models"
    models.mkdir()
    (models / "production.tar.gz").write_bytes(BASELINE)
    rasa, _ = fake_rasa(tmp_path / "rasa-env" / "bin")
    return Settings(database_url=database_url, models_path=str(models), rasa_executable=str(rasa),
                    training_dir=str(tmp_path / "training"), queue_url=REDIS_URL,
                    queue_name=f"console-test-{RUN_ID}-{uuid.uuid4().hex[:6]}")


class Workers:
    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.settings, self.tmp_path, self.procs = settings, tmp_path, []
        self.trace = tmp_path / "trace.txt"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "CONSOLE_DATABASE_URL":
                    settings.database_url, "CONSOLE_QUEUE_URL": settings.queue_url,
                    "CONSOLE_QUEUE_NAME": settings.queue_name,
                    "CONSOLE_RASA": settings.rasa_executable,
                    "CONSOLE_TRAINING_DIR": settings.training_dir,
                    "CONSOLE_MODELS_PATH": settings.models_path, "FAKE_TRAIN_TRACE": str(self.trace),
                    "FAKE_FIGURES": str(Path(settings.rasa_executable).with_name("figures.json"))}

    def start(self, count: int = 1, **fake: str) -> None:
        for i in range(count):
            log = (self.tmp_path / f"worker-{len(self.procs)}.log").open("wb")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "console", "worker"], cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT, env={**self.env, **fake}))

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def workers(console_settings, sessions, tmp_path):
    w = Workers(console_settings, tmp_path)
    yield w
    w.stop()
    from console.training.queue import make_huey
    make_huey(console_settings).flush()


def wait_for(sessions, job_id: int, statuses: tuple[str, ...], seconds: float = 90) -> TrainingJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with sessions() as s:
            job = s.get(TrainingJob, job_id)
            if job is not None and job.status in statuses:
                return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} never reached {statuses}: {job.status}, {job.log[-2000:]}")


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by its reparenting init, counts as stopped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def start_job(client, token) -> int:
    response = client.post("/training/start", data={"csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_jobs_run_one_at_a_time_even_with_two_workers(app, sessions, workers):
    workers.start(2, FAKE_TRAIN_SECONDS="2")
    client, token = logged_in(app, "trainer")
    ids = [start_job(client, token) for _ in range(3)]
    done = [wait_for(sessions, job_id, ("succeeded", "failed"), seconds=120) for job_id in ids]
    assert [j.status for j in done] == ["succeeded"] * 3, [j.log for j in done]
    spans: dict[str, list[float]] = {}
    for line in workers.trace.read_text().splitlines():
        kind, name, at = line.split()
        spans.setdefault(name, []).append(float(at))
    intervals = sorted(spans.values())
    assert len(intervals) == 3
    for (_, end), (start, _) in zip(intervals, intervals[1:]):
        assert start >= end, f"two trainings overlapped: {intervals}"
    for job in done:  # each model records its data, who started it and its evaluation
        assert len(job.data_hash) == 64 and job.started_by == "trainer"
        assert job.gate["passed"] and job.evaluation["candidate"]["oos_recall"] == 0.93
        assert job.progress == 100 and Path(job.model_path).is_file()
        assert "==> training:" in job.log and "==> gate: passed" in job.log


def test_cancel_stops_the_training_process_and_its_children(app, sessions, workers):
    workers.start(1, FAKE_TRAIN_SECONDS="300")
    client, token = logged_in(app, "trainer")
    job_id = start_job(client, token)
    pid_file = Path(f"{workers.trace}.candidate-{job_id}.pid")
    sleep_file = Path(f"{workers.trace}.candidate-{job_id}.sleep")
    deadline = time.monotonic() + 60
    while not (pid_file.is_file() and sleep_file.is_file()) and time.monotonic() < deadline:
        time.sleep(0.2)
    pids = [int(pid_file.read_text()), int(sleep_file.read_text())]
    page = client.get(f"/training/jobs/{job_id}").text
    assert 'data-status="running"' in page and 'id="job-stage">training' in page
    assert client.post(f"/training/jobs/{job_id}/cancel",
                       data={"csrf_token": token}).status_code == 303
    job = wait_for(sessions, job_id, ("cancelled",), seconds=30)
    assert "==> cancelled" in job.log and job.model_path is None
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in pids), pids


def test_a_failed_training_leaves_production_untouched_with_its_log_on_the_page(
        app, sessions, workers):
    workers.start(1, FAKE_TRAIN_EXIT="1")
    client, token = logged_in(app, "admin")
    job_id = start_job(client, token)
    job = wait_for(sessions, job_id, ("failed", "succeeded"))
    assert job.status == "failed" and "training failed (exit code 1)" in job.error
    page = client.get(f"/training/jobs/{job_id}").text
    assert 'data-status="failed"' in page and "boom: the fake training failed" in page
    assert 'id="promote-job"' not in page
    refused = client.post(f"/training/jobs/{job_id}/promote", data={"csrf_token": token})
    assert refused.status_code == 409
    served = TestClient(app).get("/model-server/model")
    assert served.status_code == 200 and served.content == BASELINE
    with sessions() as s:
        assert s.scalars(select(Promotion)).all() == []
