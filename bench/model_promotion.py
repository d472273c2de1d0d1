"""Zero-downtime promotion, measured: Rasa servers pull the production model from the operator
console's model server (bot/endpoints.yml `models:`); under continuous load a model is promoted in
the console and every server must report it within two pull intervals, with no failed request.

The console (its real model server, SQLite database) and the Rasa servers run as processes on free
ports; the load is NLU parses on Rasa's HTTP API, spread over every server. The promoted model is
the production model recompressed (same content, other bytes and name), so the swap is real but
the answers do not change. Run with the console's Python:

    .venv/console/bin/python bench/model_promotion.py [--replicas 2] [--load-seconds 40]

tests/console/test_model_promotion.py runs it briefly in CI; docs/operators.md has its figures.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.processes import free_port, stop, wait_http  # noqa: E402

RASA_PYTHON = ROOT / ".venv" / "rasa" / "bin" / "python"
CONSOLE_PY = ROOT / ".venv" / "console" / "bin" / "python"
PULL_SECONDS = 10  # wait_time_between_pulls in bot/endpoints.yml
TOKEN = "promotion-bench-token"
TEXTS = ["居住证要带什么材料？", "how long does a Shanghai residence permit take",
         "浦东社区事务受理中心周六开门吗", "I want to book an appointment"]


def newest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("no model in models/: run `make train`")
    return models[-1]


class Stack:
    """The console (model server) and `replicas` Rasa servers pulling from it."""

    def __init__(self, work: Path, replicas: int) -> None:
        self.work, self.replicas, self.procs = work, replicas, []
        self.models = work / "models"
        self.models.mkdir()
        shutil.copy(newest_model(), self.models / "production.tar.gz")
        self.database_url = f"sqlite:///{work / 'console.sqlite3'}"
        self.console_port = free_port()
        self.rasa_ports: list[int] = []
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                    "CONSOLE_DATABASE_URL": self.database_url,
                    "CONSOLE_MODELS_PATH": str(self.models),
                    "MODEL_SERVER_URL": f"http://127.0.0.1:{self.console_port}/model-server/model",
                    "EVENT_BROKER_URL": f"sqlite:///{work / 'events.sqlite3'}",
                    "TRACKER_STORE_URL": "", "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
                    "ACTION_SERVER_TOKEN": "unused"}

    def start_process(self, name: str, cmd: list[str],
               env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
        """A process of the stack (stopped with it), its output in the work folder's NAME.log."""
        log = self.work / f"{name}.log"
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or self.env, stdout=log.open("w"),
                                stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc, log

    def start(self) -> None:
        subprocess.run([str(CONSOLE_PY), "-m", "console", "migrate"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True)
        proc, log = self.start_process("console", [str(CONSOLE_PY), "-m", "console", "serve",
                                                   "--port", str(self.console_port)])
        wait_http(f"http://127.0.0.1:{self.console_port}/healthz", 60, proc, log)
        self.rasa_ports = self.start_rasa(*[self.env["MODEL_SERVER_URL"]] * self.replicas)

    def start_rasa(self, *model_server_urls: str) -> list[int]:
        """Rasa servers (one per model server URL, "" for none), started together; their ports."""
        started = []
        for url in model_server_urls:
            port = free_port()
            started.append((port, *self.start_process(f"rasa-{port}", [
                str(RASA_PYTHON), "-m", "bot", "run", "--model", str(self.models), "--endpoints",
                "bot/endpoints.yml",
                "--port", str(port), "--enable-api", "--auth-token", TOKEN],
                {**self.env, "MODEL_SERVER_URL": url})))
        for port, proc, log in started:
            wait_http(f"http://127.0.0.1:{port}/status?token={TOKEN}", 600, proc, log)
        return [port for port, _, _ in started]

    def stop(self) -> None:
        stop(self.procs)

    def served_models(self, ports: list[int] | None = None) -> list[str | None]:
        """Each server's model file (None while it is busy loading one)."""
        found = []
        for port in self.rasa_ports if ports is None else ports:
            try:
                found.append(httpx.get(f"http://127.0.0.1:{port}/status", params={"token": TOKEN},
                                       timeout=30).json()["model_file"])
            except httpx.HTTPError:
                found.append(None)
        return found

    def candidate(self) -> Path:
        """The production model recompressed: same content, other bytes (sha256) and name."""
        candidate = self.work / "candidate" / "promoted-candidate.tar.gz"
        candidate.parent.mkdir()
        with gzip.open(self.models / "production.tar.gz", "rb") as src, \
                gzip.open(candidate, "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst)
        return candidate

    def promote(self, candidate: Path) -> None:
        """Promotes the candidate as an admin's click does (a job that passed the gate)."""
        from console.models import TrainingJob
        from console.training import registry
        from console.training.export import file_sha256
        from console.web.accounts import create_user
        from dataservice.db import make_engine, make_sessionmaker

        sessions = make_sessionmaker(make_engine(self.database_url))
        with sessions() as s, s.begin():
            admin = create_user(s, "bench", "bench-admin", "a long bench password", "admin")
            job = TrainingJob(status="succeeded", stage="done", progress=100, started_by="bench",
                              created_at=datetime.now(timezone.utc), log="", annotations=0,
                              model_path=str(candidate), model_sha256=file_sha256(candidate),
                              gate={"passed": True, "reasons": [], "diff": {}})
            s.add(job)
            s.flush()
            registry.promote(s, admin, job, str(self.models))


class Load:
    """Threads sending NLU parses to every server in turn until stopped."""

    def __init__(self, ports: list[int], threads: int = 4) -> None:
        self.ports, self.ok, self.failed, self.errors = ports, 0, 0, []
        self.slowest = 0.0
        self._stop, self._lock = threading.Event(), threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, n: int) -> None:
        with httpx.Client(timeout=30) as client:
            i = n
            while not self._stop.is_set():
                port = self.ports[i % len(self.ports)]
                sent = time.monotonic()
                try:
                    r = client.post(f"http://127.0.0.1:{port}/model/parse",
                                    params={"token": TOKEN}, json={"text": TEXTS[i % len(TEXTS)]})
                    good = r.status_code == 200 and r.json().get("intent", {}).get("name")
                    error = None if good else f"{port}: HTTP {r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    error = f"{port}: {exc!r}"
                with self._lock:
                    self.slowest = max(self.slowest, time.monotonic() - sent)
                    if error:
                        self.failed += 1
                        self.errors.append(error)
                    else:
                        self.ok += 1
                i += 1

    def __enter__(self) -> "Load":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()


@contextmanager
def running_stack(replicas: int, start: bool = True) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="promotion-") as tmp:
        stack = Stack(Path(tmp), replicas)
        try:
            if start:
                stack.start()
            yield stack
        finally:
            stack.stop()


def measure(stack: Stack, load_seconds: float) -> dict:
    """Load before, during and after a promotion; when each server reported the new model."""
    candidate = stack.candidate()
    name = candidate.name
    with Load(stack.rasa_ports) as load:
        time.sleep(load_seconds / 4)
        stack.promote(candidate)
        promoted_at = time.monotonic()
        switched: dict[int, float] = {}
        while len(switched) < len(stack.rasa_ports) and \
                time.monotonic() - promoted_at < 4 * PULL_SECONDS:
            for port, model in zip(stack.rasa_ports, stack.served_models()):
                if model == name and port not in switched:
                    switched[port] = time.monotonic() - promoted_at
            time.sleep(0.5)
        time.sleep(max(0.0, load_seconds - (time.monotonic() - promoted_at)))
    return {"replicas": len(stack.rasa_ports), "pull_interval_s": PULL_SECONDS,
            "requests": load.ok + load.failed, "failed": load.failed, "errors": load.errors[:5],
            "slowest_request_s": round(load.slowest, 1),
            "switch_s": [round(switched.get(p, float("inf")), 1) for p in stack.rasa_ports],
            "all_switched_within_two_intervals": len(switched) == len(stack.rasa_ports) and
            max(switched.values()) <= 2 * PULL_SECONDS}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--load-seconds", type=float, default=40)
    args = ap.parse_args()
    with running_stack(args.replicas) as stack:
        result = measure(stack, args.load_seconds)
    print(json.dumps(result, indent=2))
    return 0 if result["failed"] == 0 and result["all_switched_within_two_intervals"] else 1


if __name__ == "__main__":
    sys.exit(main())
