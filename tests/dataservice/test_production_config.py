"""DEPLOYMENT_ENV=production refuses the development secrets this repository publishes."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dataservice.main import create_app
from dataservice.settings import (DEV_API_KEY, DEV_PEPPER, REPO_ROOT, InsecureConfiguration,
                                  Settings)

SAFE = {"DEPLOYMENT_ENV": "production", "DATASERVICE_PEPPER": "s3cret-pepper-from-the-vault",
        "DATASERVICE_API_KEYS": "client-key-a,client-key-b"}


def _env(tmp_path, **changes) -> dict[str, str]:
    env = SAFE | {"DATABASE_URL": f"sqlite:///{tmp_path / 'ds.sqlite3'}"} | changes
    return {k: v for k, v in env.items() if v is not None}


@pytest.mark.parametrize("changes,variable", [
    ({"DATASERVICE_PEPPER": None}, "DATASERVICE_PEPPER"),
    ({"DATASERVICE_PEPPER": ""}, "DATASERVICE_PEPPER"),
    ({"DATASERVICE_PEPPER": DEV_PEPPER}, "DATASERVICE_PEPPER"),
    ({"DATASERVICE_API_KEYS": None}, "DATASERVICE_API_KEYS"),
    ({"DATASERVICE_API_KEYS": f"client-key-a,{DEV_API_KEY}"}, "DATASERVICE_API_KEYS"),
    ({"DEPLOYMENT_ENV": "prod"}, "DEPLOYMENT_ENV"),
])
def test_production_app_refuses_development_secrets(tmp_path, changes, variable):
    with pytest.raises(InsecureConfiguration, match=variable):
        create_app(Settings.from_env(_env(tmp_path, **changes)))


def test_production_app_starts_with_real_secrets(tmp_path):
    app = create_app(Settings.from_env(_env(tmp_path)))
    assert app.state.settings.deployment_env == "production"
    app.state.engine.dispose()


def test_development_default_keeps_the_development_secrets(tmp_path):
    settings = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'ds.sqlite3'}"})
    assert settings.deployment_env == "development"
    assert settings.pepper == DEV_PEPPER and settings.api_keys == (DEV_API_KEY,)
    create_app(settings).state.engine.dispose()


@pytest.mark.parametrize("command", ["serve", "up", "seed"])
def test_the_command_line_refuses_to_start_and_names_the_variable(tmp_path, command):
    env = dict(os.environ)
    for name in ("DATASERVICE_PEPPER", "DATASERVICE_API_KEYS", "REDIS_URL"):
        env.pop(name, None)
    env |= _env(tmp_path, DATASERVICE_PEPPER=None, DATASERVICE_API_KEYS=None,
                DATASERVICE_PORT="1")
    done = subprocess.run([sys.executable, "-m", "dataservice", command], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "refusing to start" in done.stderr and "DATASERVICE_PEPPER" in done.stderr
    assert "Traceback" not in done.stderr
