"""When agents answer: the desk's daily hours on the city's working days.

Which days are working days (statutory holidays off, make-up working days on) is the data
service's knowledge (`GET /v1/calendar/{date}`); the console keeps no holiday table of its own.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import httpx

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
_HOURS = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$")


class CalendarUnavailable(Exception):
    """The data service did not answer: the desk counts as closed (12345 is offered instead)."""


def parse_hours(value: str) -> tuple[time, time]:
    """'09:00-18:00' → (09:00, 18:00); '24:00' closes at midnight."""
    match = _HOURS.match(value.strip())
    if not match:
        raise ValueError(f"agent hours must look like 09:00-18:00, not {value!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    end = time.max if (h2, m2) == (24, 0) else time(h2, m2)
    return time(h1, m1), end


class WorkingHours:
    """`hours` like 09:00-18:00 on working days, or `always` (a desk staffed round the clock,
    holidays included, as the 12345 hotline is)."""

    def __init__(self, hours: str, dataservice_url: str, api_key: str,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.always = hours.strip() == "always"
        self.start, self.end = parse_hours("00:00-24:00" if self.always else hours)
        self.client = httpx.Client(base_url=dataservice_url.rstrip("/"), timeout=3.0,
                                   headers={"X-API-Key": api_key}, transport=transport)

    def workday(self, day: str) -> bool:
        try:
            response = self.client.get(f"/v1/calendar/{day}")
            response.raise_for_status()
            return bool(response.json()["workday"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            logger.warning("calendar unavailable (%s)", type(exc).__name__)
            raise CalendarUnavailable() from exc

    def open_at(self, now: datetime) -> bool:
        if self.always:
            return True
        local = now.astimezone(SHANGHAI)
        if not self.start <= local.time() < self.end:
            return False
        return self.workday(local.date().isoformat())
