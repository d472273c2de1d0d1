"""The web chat page in a real headless Chromium (tests/browser.py). Selenium lives in the
console's environment and Rasa in its own, so the servers run as processes of the Rasa
environment: the whole backend with the trained model (tests/bot/live_backend.py), or the
channel harness with its echo agent (tests/bot/channel_harness.py) for what the real assistant
never says (an agent's reply, images, an answer that takes long, a server that goes away)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from bench.processes import free_port, stop, wait_http

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv" / "rasa" / "bin" / "python"
DOCS = ROOT / "docs" / "webchat"


def rasa_env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("REDIS_URL", None)
    return env


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[dict]:
    """Data service, action server and Rasa; `rasa` is the base address the page is served from."""
    yield from launched("tests.bot.live_backend", tmp_path_factory.mktemp("webchat-live"))


def launched(module: str, tmp: Path) -> Iterator[dict]:
    """A launcher module of the Rasa environment, its JSON line of addresses, and its stop."""
    log = tmp / "launcher.log"
    proc = subprocess.Popen([str(RASA_PYTHON), "-m", module, str(tmp)], cwd=ROOT,
                            env=rasa_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=log.open("w"), text=True)
    try:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"the backend did not start:\n{log.read_text()[-3000:]}")
        yield json.loads(line)
    finally:
        # Closing stdin makes the launcher stop its stack and exit. A SIGTERM sent meanwhile would
        # cut that stop short and leave its last processes (the data service) running.
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stop([proc])


class Harness:
    """The channel harness on one port, which it keeps across a stop and a start."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "harness.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(rasa_env(), SOCKETIO_SESSION_SECRET="webchat-browser-secret",
                   SOCKETIO_MAX_MESSAGE_CHARS="600")
        self.proc = subprocess.Popen([str(RASA_PYTHON), "-m", "tests.bot.channel_harness", str(self.port)],
                                     cwd=ROOT, env=env, stdout=self.log.open("a"),
                                     stderr=subprocess.STDOUT)
        wait_http(self.base + "/chat", 120, self.proc, self.log)

    def stop(self) -> None:
        stop([self.proc])


@pytest.fixture(scope="module")
def harness(tmp_path_factory) -> Iterator[Harness]:
    server = Harness(tmp_path_factory.mktemp("webchat-harness"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def dataservice(live: dict, path: str) -> dict:
    r = httpx.get(live["dataservice"] + path, headers={"X-API-Key": live["dataservice_key"]}, timeout=10)
    r.raise_for_status()
    return r.json()


def user_texts(live: dict, conversation: str) -> list[str]:
    """What Rasa stored as the citizen's side of `conversation` (its HTTP API, with the test token)."""
    r = httpx.get(f"{live['rasa']}/conversations/{conversation}/tracker",
                  params={"token": live["rasa_token"]}, timeout=30)
    r.raise_for_status()
    return [e.get("text") for e in r.json()["events"] if e["event"] == "user"]
