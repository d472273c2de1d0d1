"""Action tests run against the REAL data service: a uvicorn process of `dataservice` (its own
Python 3.11 venv) on a loopback port, with a throw-away SQLite database migrated and seeded.

Tests build a Tracker and a CollectingDispatcher, await the action, and assert events and messages
(the rasa-sdk testing model).
"""
from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.api.gateway import DataServiceGateway, set_gateway
from actions.settings import ActionSettings
from bench.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
DS_PYTHON = ROOT / ".venv" / "dataservice" / "bin" / "python"
API_KEY = "actions-test-key"


def start_dataservice(tmp: Path, log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """The data service on SQLite in `tmp`, its output in `log` (discarded without one)."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp / 'ds.sqlite3'}", DATASERVICE_API_KEYS=API_KEY,
               DATASERVICE_PEPPER="actions-test-pepper")
    env.pop("REDIS_URL", None)
    subprocess.run([str(DS_PYTHON), "-m", "dataservice", "migrate"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    subprocess.run([str(DS_PYTHON), "-m", "dataservice", "seed"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    proc = subprocess.Popen([str(DS_PYTHON), "-m", "dataservice", "serve", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=log.open("w") if log else subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    # Ready only once the work-order classifier is loaded: on a fresh checkout the data service
    # first trains the shipped one from the corpus (a minute or two on 2 busy cores).
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("data service did not start")


@pytest.fixture(scope="session")
def dataservice_url(tmp_path_factory) -> Iterator[str]:
    proc, base = start_dataservice(tmp_path_factory.mktemp("ds"))
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(autouse=True)
def client(dataservice_url) -> Iterator[DataServiceGateway]:
    """Every test talks to the real data service through a fresh client (fresh breaker)."""
    c = DataServiceGateway(ActionSettings(dataservice_url=dataservice_url, dataservice_api_key=API_KEY))
    set_gateway(c)
    yield c
    set_gateway(None)


@pytest.fixture()
def down_client() -> Iterator[DataServiceGateway]:
    """A data service that is not there (nothing listens on the port)."""
    c = DataServiceGateway(ActionSettings(dataservice_url=f"http://127.0.0.1:{free_port()}",
                                          dataservice_api_key=API_KEY))
    set_gateway(c)
    yield c
    set_gateway(None)


def make_tracker(text: str = "", intent: str = "inform", entities: list[dict] | None = None,
                 slots: dict[str, Any] | None = None, active_loop: str | None = None,
                 sender: str = "test-user", metadata: dict | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0},
              "entities": entities or [], "metadata": metadata or {}}
    events = [{"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}}]
    return Tracker(sender, dict(slots or {}), latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def after_form(tracker: Tracker, form: str) -> Tracker:
    """`tracker` as an answer action sees it after `form` completed this turn: the context action
    ran for the message before the form (an informational question outside a form instead reaches
    its answer action directly, which then extracts the context itself)."""
    tracker.events = [*tracker.events, {"event": "action", "name": form},
                      {"event": "active_loop", "name": None}]
    return tracker


def entity(name: str, value: str) -> dict:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def domain_files() -> dict[str, dict]:
    """bot/domain/*.yml by file name."""
    import yaml
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) or {}
            for p in sorted((ROOT / "bot" / "domain").glob("*.yml"))}


def render_response(name: str, slots: dict[str, Any]) -> str:
    """A domain response as Rasa's NLG renders it: the first variation whose conditions hold."""
    variations = next(d["responses"][name] for d in domain_files().values()
                      if name in (d.get("responses") or {}))
    for variation in variations:
        if all(slots.get(c["name"]) == c["value"] for c in variation.get("condition") or []):
            return variation["text"]
    raise AssertionError(f"{name}: no variation for the slots {slots}")
