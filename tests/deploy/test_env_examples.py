"""Each process lists every environment variable it reads in its own `.env.example`.

The code is scanned statically (these tests run in the data service's environment, which cannot import
Rasa): a variable read anywhere in a process's package but missing from its example file fails here,
and so does an example entry that no code reads any more.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# `env.get("X")`, `environ["X"]`, `getenv("X")`, the settings helpers' `number(env, "X", …)`, a
# `…_VARIABLE = "X"` constant, and `${X}` in Rasa's YAML files outside comments.
READ = re.compile(r"""(?:\benv(?:iron)?\b(?:\.get\(|\[|,\s*)|getenv\(|_VARIABLE\s*=)\s*["']([A-Z][A-Z0-9_]+)["']""")
YAML_READ = re.compile(r"^[^#\n]*?\$\{([A-Z][A-Z0-9_]+)", re.MULTILINE)
LISTED = re.compile(r"^([A-Z][A-Z0-9_]+)=", re.MULTILINE)
# The data service's settings are one pydantic model; tests/dataservice/test_settings.py checks its file.
PROCESSES = ("actions", "bot", "console")
# Set by the console's launcher for its Rasa child, and the socket.io scope's client address.
NOT_SETTINGS = {"PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL", "REMOTE_ADDR"}


def read_in(package: str) -> set[str]:
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" not in path.parts:
            names |= set(READ.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / package).glob("*.yml"):
        names |= set(YAML_READ.findall(path.read_text(encoding="utf-8")))
    return names - NOT_SETTINGS


# Code a process runs from elsewhere: every settings module applies deployment_env/'s rule.
SHARED = [ROOT / "deployment_env" / "__init__.py"]
ALSO_RUNS = {"actions": SHARED, "console": SHARED, "bot": SHARED}


def read_by(package: str) -> set[str]:
    extra = {n for path in ALSO_RUNS[package] for n in READ.findall(path.read_text("utf-8"))}
    return read_in(package) | extra


def listed_in(package: str) -> set[str]:
    return set(LISTED.findall((ROOT / package / ".env.example").read_text(encoding="utf-8")))


@pytest.mark.parametrize("package", PROCESSES)
def test_every_variable_a_process_reads_is_in_its_env_example(package):
    assert read_in(package) - listed_in(package) == set()


@pytest.mark.parametrize("package", PROCESSES)
def test_its_env_example_lists_nothing_the_process_ignores(package):
    # Sanic reads SANIC_* itself (SANIC_WORKERS is also read by bot/settings.py).
    unread = {n for n in listed_in(package) - read_by(package) if not n.startswith("SANIC_")}
    assert unread == set()


def test_the_scan_finds_what_the_settings_modules_read():
    # Guards the regular expression: if it stopped matching, both tests above would pass vacuously.
    assert {"DATASERVICE_URL", "ACTION_SERVER_TOKEN"} <= read_in("actions")
    assert {"WECHAT_TOKEN", "INTEGRATOR_API_KEYS"} <= read_in("bot")
    assert {"CONSOLE_DATABASE_URL", "EVENT_BROKER_URL"} <= read_in("console")
