"""Action-server configuration, read from the environment when first needed (never at import)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class ActionSettings:
    dataservice_url: str = "http://127.0.0.1:8000"
    dataservice_api_key: str = "dev-dataservice-key"
    connect_timeout: float = 0.5
    read_timeout: float = 2.0
    # The citizen must hear back within 3 s even when the data service hangs.
    deadline_seconds: float = 2.5
    breaker_fail_max: int = 5
    breaker_reset_seconds: float = 20.0
    # The operator console's handoff queue (console/web/handoff_api.py).
    console_url: str = "http://127.0.0.1:8100"
    console_handoff_token: str = "dev-console-handoff-token"

    @classmethod
    def from_env(cls) -> "ActionSettings":
        env = os.environ
        return cls(
            dataservice_url=env.get("DATASERVICE_URL", cls.dataservice_url).rstrip("/"),
            dataservice_api_key=(env.get("DATASERVICE_API_KEY")
                                 or (env.get("DATASERVICE_API_KEYS") or "").split(",")[0].strip()
                                 or cls.dataservice_api_key),
            connect_timeout=float(env.get("DATASERVICE_CONNECT_TIMEOUT", cls.connect_timeout)),
            read_timeout=float(env.get("DATASERVICE_READ_TIMEOUT", cls.read_timeout)),
            console_url=env.get("CONSOLE_URL", cls.console_url).rstrip("/"),
            console_handoff_token=env.get("CONSOLE_HANDOFF_TOKEN") or cls.console_handoff_token,
        )


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    return ActionSettings.from_env()
