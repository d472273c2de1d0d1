"""Every setting of the action server, read from the environment in this one module.

`ActionSettings.from_env()` parses and checks them all; the server calls it at start
(`actions/server.py`), so a bad value or, with `DEPLOYMENT_ENV=production`, a development secret
stops it with a message that names the variable. Nothing is read at import time: tests set the
environment first.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from deployment_env import (DEV_DATASERVICE_KEY, DEV_HANDOFF_TOKEN, is_production,
                            refuse_development_secrets)

TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
MIN_PRODUCTION_TOKEN_LENGTH = 24


class InsecureConfiguration(ValueError):
    """Raised at start-up: the message names the variable to set."""


def _production(env: Mapping[str, str]) -> bool:
    return is_production(env, InsecureConfiguration)


def _number(env: Mapping[str, str], name: str, default: float, kind: type = float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InsecureConfiguration(f"{name}={raw!r} is not a number.") from None
    if value <= 0:
        raise InsecureConfiguration(f"{name} must be greater than 0 (got {raw}).")
    return value


def action_server_token(env: Mapping[str, str] | None = None) -> str:
    """The secret the Rasa server sends (bot/endpoints.yml): required everywhere, and no
    development one (`dev-` prefix or short) in production."""
    env = os.environ if env is None else env
    token = env.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise InsecureConfiguration(f"{TOKEN_VARIABLE} is not set: the action server needs the "
                                    "secret the Rasa server sends (bot/endpoints.yml).")
    refuse_development_secrets(_production(env), {TOKEN_VARIABLE: (
        token.startswith("dev-") or len(token) < MIN_PRODUCTION_TOKEN_LENGTH,
        f"a random value of at least {MIN_PRODUCTION_TOKEN_LENGTH} characters, not starting with "
        "'dev-', shared with the Rasa server")}, InsecureConfiguration)
    return token


def pii_secret_key(env: Mapping[str, str] | None = None) -> str:
    """The key of personal data carried in slots (actions/secrets.py); "" means the development
    key. Read on each use, so a rotated key applies without a restart of the reader."""
    env = os.environ if env is None else env
    return env.get("PII_SECRET_KEY", "").strip()


@dataclass(frozen=True)
class ActionSettings:
    dataservice_url: str = "http://127.0.0.1:8000"
    dataservice_api_key: str = DEV_DATASERVICE_KEY
    connect_timeout: float = 0.5
    read_timeout: float = 2.0
    # The citizen must hear back within 3 s even when the data service hangs.
    deadline_seconds: float = 2.5
    breaker_fail_max: int = 5
    breaker_reset_seconds: float = 20.0
    # The operator console's handoff queue (console/web/handoff_api.py).
    console_url: str = "http://127.0.0.1:8100"
    console_handoff_token: str = DEV_HANDOFF_TOKEN
    host: str = "127.0.0.1"
    port: int = 5055
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ActionSettings":
        env = os.environ if env is None else env
        settings = cls(
            dataservice_url=env.get("DATASERVICE_URL", cls.dataservice_url).rstrip("/"),
            dataservice_api_key=(env.get("DATASERVICE_API_KEY")
                                 or (env.get("DATASERVICE_API_KEYS") or "").split(",")[0].strip()
                                 or cls.dataservice_api_key),
            connect_timeout=_number(env, "DATASERVICE_CONNECT_TIMEOUT", cls.connect_timeout),
            read_timeout=_number(env, "DATASERVICE_READ_TIMEOUT", cls.read_timeout),
            console_url=env.get("CONSOLE_URL", cls.console_url).rstrip("/"),
            console_handoff_token=env.get("CONSOLE_HANDOFF_TOKEN") or cls.console_handoff_token,
            host=env.get("ACTION_SERVER_HOST", cls.host),
            port=int(_number(env, "ACTION_SERVER_PORT", cls.port, int)),
            log_level=env.get("LOG_LEVEL", cls.log_level),
        )
        refuse_development_secrets(_production(env), {
            "DATASERVICE_API_KEY": (settings.dataservice_api_key == DEV_DATASERVICE_KEY,
                                    "the action server's key to the data service"),
            "CONSOLE_HANDOFF_TOKEN": (settings.console_handoff_token == DEV_HANDOFF_TOKEN,
                                      "the console's token for handoffs"),
            "PII_SECRET_KEY": (not pii_secret_key(env),
                               "it encrypts the personal data carried in slots")},
            InsecureConfiguration)
        return settings


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    return ActionSettings.from_env()
