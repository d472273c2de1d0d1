"""End-to-end fixtures: the three real services (data service, action server, Rasa with the
trained model in models/) started as processes on free loopback ports."""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.actions.conftest import API_KEY, start_dataservice

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv" / "rasa" / "bin" / "rasa"
TOKEN = "e2e-test-token"
INTEGRATOR_KEY = "e2e-integrator-key"  # the REST webhook needs `Authorization: Bearer <key>`
ACTION_TOKEN = "e2e-action-server-token"  # Rasa sends it to the action server (bot/endpoints.yml)
PYTHON = ROOT / ".venv" / "rasa" / "bin" / "python"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {seconds}s:\n{log.read_text()[-3000:]}")


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
    proc = subprocess.Popen([str(RASA), "run", "--model", str(latest_model()), "--endpoints",
                             "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
                             "--port", str(port), "--enable-api", "--auth-token", TOKEN],
                            cwd=ROOT, env=with_action_token(env), stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/status?token={TOKEN}", 300, proc, log)
    except BaseException:
        stop([proc])
        raise
    return proc


def stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.fixture(scope="session")
def backend(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("e2e")
    ds_proc, ds_url = start_dataservice(tmp)
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATASERVICE_URL=ds_url, DATASERVICE_API_KEY=API_KEY,
               TF_CPP_MIN_LOG_LEVEL="3", SQLALCHEMY_SILENCE_UBER_WARNING="1")
    env.pop("TRACKER_STORE_URL", None)
    env.pop("REDIS_URL", None)
    env["INTEGRATOR_API_KEYS"] = f"e2e:{INTEGRATOR_KEY}"
    action_port, rasa_port = free_port(), free_port()
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{action_port}/webhook"
    procs = [ds_proc]
    logs = {name: tmp / f"{name}.log" for name in ("actions", "rasa")}
    try:
        procs.append(start_action_server(env, action_port, logs["actions"]))
        # The default SQLite tracker store (var/tracker.sqlite3) is shared with `make run`;
        # every test uses its own random sender id.
        rasa = start_rasa(env, rasa_port, logs["rasa"])
        procs.append(rasa)
        yield {"rasa": f"http://127.0.0.1:{rasa_port}", "dataservice": ds_url, "logs": logs,
               "rasa_proc": rasa}
    finally:
        stop(procs)


