"""The handoff's outside connections, built once per app from the settings (tests swap them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from console.handoff.hours import WorkingHours
from console.handoff.relay import Relay
from console.settings import Settings


@dataclass
class HandoffServices:
    hours: WorkingHours
    relay: Relay
    dataservice: httpx.Client
    idle: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> "HandoffServices":
        return cls(
            hours=WorkingHours(settings.agent_hours, settings.dataservice_url,
                               settings.dataservice_key),
            relay=Relay(settings.relay_url, settings.relay_secret),
            dataservice=httpx.Client(base_url=settings.dataservice_url.rstrip("/"), timeout=5.0,
                                     headers={"X-API-Key": settings.dataservice_key}),
            idle=timedelta(minutes=settings.agent_idle_minutes))
