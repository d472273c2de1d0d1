"""Every variable of the data service is read and validated in one place (dataservice/settings.py):
a malformed value stops the start-up with a message naming the variable, and the development pepper
is said out loud."""
from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from dataservice.main import create_app
from dataservice.settings import (DEV_PEPPER, REPO_ROOT, VARIABLES, ConfigurationError,
                                  InsecureConfiguration, Settings)

ENV_EXAMPLE = REPO_ROOT / "dataservice" / ".env.example"


@pytest.mark.parametrize("variable,value,shown", [
    ("DATASERVICE_CACHE_TTL", "five minutes", True),
    ("DATASERVICE_CACHE_TTL", "0", True),
    ("DATASERVICE_IDEMPOTENCY_TTL", "1.5", True),
    ("DATASERVICE_MAX_BODY_BYTES", "-1", True),
    ("DATASERVICE_PORT", "80000", True),
    ("DATASERVICE_PORT", "http", True),
    ("DATASERVICE_CACHE_PREFIX", "has space", True),
    ("REDIS_URL", "http://user:secret@127.0.0.1:6379", False),
    ("DATABASE_URL", "user:secret@db", False),
    ("DATASERVICE_API_KEYS", " , ", False),
    ("TICKET_CLASSES", "01,4", True),
    ("TICKET_CLASSES", "0101,04", True),
    ("TICKET_CLASSES", "04, 04", True),
])
def test_a_malformed_value_is_refused_naming_the_variable(variable, value, shown):
    with pytest.raises(ConfigurationError, match=variable) as refused:
        Settings.from_env({variable: value})
    # Values are echoed to help, except those that may hold a secret.
    assert (repr(value) in str(refused.value)) is shown


def test_values_are_parsed_to_their_types():
    s = Settings.from_env({"DATASERVICE_PORT": " 8001 ", "DATASERVICE_CACHE_TTL": "60",
                           "DATASERVICE_API_KEYS": "a, b,,c", "DATABASE_URL": "postgres://u@h/db",
                           "REDIS_URL": "redis://127.0.0.1:6379/2", "DATASERVICE_PEPPER": ""})
    assert (s.port, s.cache_ttl_seconds, s.api_keys) == (8001, 60, ("a", "b", "c"))
    assert s.database_url == "postgresql+psycopg://u@h/db"
    assert s.redis_url == "redis://127.0.0.1:6379/2"
    assert s.pepper == DEV_PEPPER and s.using_dev_pepper and not s.using_dev_key
    assert Settings.from_env({"TICKET_CLASSES": "15, 01,04"}).ticket_classes == ("01", "04", "15")
    assert Settings.from_env({"TICKET_CLASSES": " "}).ticket_classes is None


def test_a_misspelt_deployment_is_refused_as_insecure():
    with pytest.raises(InsecureConfiguration, match="DEPLOYMENT_ENV"):
        Settings.from_env({"DEPLOYMENT_ENV": "Production"})


def test_the_command_line_names_a_malformed_variable_without_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATASERVICE_", "REDIS_"))}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'ds.sqlite3'}", "DEPLOYMENT_ENV": "development",
            "DATASERVICE_CACHE_TTL": "5m"}
    done = subprocess.run([sys.executable, "-m", "dataservice", "serve"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "refusing to start" in done.stderr and "DATASERVICE_CACHE_TTL" in done.stderr
    assert "Traceback" not in done.stderr


def _example() -> dict[str, str]:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    return dict(ln.split("=", 1) for ln in lines if ln and not ln.startswith("#"))


def test_env_example_lists_every_variable_and_its_defaults_load():
    example = _example()
    assert sorted(example) == sorted(VARIABLES)
    assert Settings.from_env(example) == Settings()


def _start_warnings(tmp_path, caplog, **env) -> list[str]:
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'ds.sqlite3'}", **env})
    with caplog.at_level(logging.WARNING, logger="dataservice"), TestClient(create_app(settings)):
        pass
    return [r.getMessage() for r in caplog.records if r.name == "dataservice"]


def test_the_development_pepper_is_announced_at_start(tmp_path, caplog):
    warnings = _start_warnings(tmp_path, caplog)
    assert any("DATASERVICE_PEPPER" in w for w in warnings), warnings


def test_a_real_pepper_and_keys_start_quietly(tmp_path, caplog):
    assert _start_warnings(tmp_path, caplog, DATASERVICE_PEPPER="from-the-vault",
                           DATASERVICE_API_KEYS="k1") == []
