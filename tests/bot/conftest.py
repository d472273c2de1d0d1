"""End-to-end fixtures: the three real services (data service, action server, Rasa with the
trained model in models/) started as processes on free loopback ports."""
from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from bench.processes import free_port, stop, wait_http
from tests.actions.conftest import API_KEY, start_dataservice
from tests.bot.action_calls import ActionCalls

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-test-token"
INTEGRATOR_KEY = "e2e-integrator-key"  # the REST webhook needs `Authorization: Bearer <key>`
ACTION_TOKEN = "e2e-action-server-token"  # Rasa sends it to the action server (bot/endpoints.yml)
PYTHON = ROOT / ".venv" / "rasa" / "bin" / "python"


def latest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        pytest.fail("no trained model in models/: `make train` (make test trains first)")
    return models[-1]


def with_action_token(env: dict) -> dict:
    """`env` with the action server's shared secret (the test one unless the caller set one), and
    no model server unless the caller names one (bot/endpoints.yml needs both variables)."""
    return {**env, "ACTION_SERVER_TOKEN": env.get("ACTION_SERVER_TOKEN", ACTION_TOKEN),
            "MODEL_SERVER_URL": env.get("MODEL_SERVER_URL", "")}


def start_action_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    """The action server (actions/server.py) on 127.0.0.1:`port`, ready (health answered) when
    this returns."""
    proc = subprocess.Popen([str(PYTHON), "-m", "actions.server", "--port", str(port)],
                            cwd=ROOT, env=with_action_token(env), stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", 120, proc, log)
    except BaseException:
        stop([proc])
        raise
    return proc


def start_rasa(env: dict, port: int, log: Path) -> subprocess.Popen:
    """Rasa with the trained model, bot/endpoints.yml and bot/credentials.yml, ready on `port`."""
    proc = subprocess.Popen([str(PYTHON), "-m", "bot", "run", "--model", str(latest_model()),
                             "--endpoints", "bot/endpoints.yml", "--credentials",
                             "bot/credentials.yml", "--port", str(port), "--enable-api",
                             "--auth-token", TOKEN],
                            cwd=ROOT, env=with_action_token(env), stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/status?token={TOKEN}", 300, proc, log)
    except BaseException:
        stop([proc])
        raise
    return proc


@pytest.fixture(scope="session")
def backend(tmp_path_factory) -> Iterator[dict]:
    with running_backend(tmp_path_factory.mktemp("e2e")) as started:
        yield started


@contextmanager
def running_backend(tmp: Path) -> Iterator[dict]:
    """The data service, the action server and Rasa, stopped on leaving (also tests/bot/live_backend.py)."""
    ds_proc, ds_url = start_dataservice(tmp)
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATASERVICE_URL=ds_url, DATASERVICE_API_KEY=API_KEY,
               TF_CPP_MIN_LOG_LEVEL="3", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env.pop("TRACKER_STORE_URL", None)
    env.pop("REDIS_URL", None)
    env["INTEGRATOR_API_KEYS"] = f"e2e:{INTEGRATOR_KEY}"
    action_port, rasa_port = free_port(), free_port()
    # Rasa reaches the action server through a recording proxy (tests count calls per turn).
    action_calls = ActionCalls(free_port(), f"http://127.0.0.1:{action_port}")
    env["ACTION_ENDPOINT_URL"] = f"{action_calls.url}/webhook"
    procs = [ds_proc]
    logs = {name: tmp / f"{name}.log" for name in ("actions", "rasa")}
    try:
        procs.append(start_action_server(env, action_port, logs["actions"]))
        # The default SQLite tracker store (var/tracker.sqlite3) is shared with `make run`;
        # every test uses its own random sender id.
        rasa = start_rasa(env, rasa_port, logs["rasa"])
        procs.append(rasa)
        yield {"rasa": f"http://127.0.0.1:{rasa_port}", "dataservice": ds_url, "logs": logs,
               "rasa_proc": rasa, "action_calls": action_calls}
    finally:
        stop(procs)
        action_calls.close()


