"""The city's working calendar: statutory holidays, make-up working days, ordinary days."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("day, workday, reason, holiday", [
    ("2026-10-01", False, "statutory_holiday", "national_day"),   # a Thursday off
    ("2026-10-10", True, "makeup_workday", "national_day"),       # a Saturday worked (调休)
    ("2026-12-03", True, "regular", None),                        # an ordinary Thursday
    ("2026-12-05", False, "weekend", None),                       # an ordinary Saturday
])
def test_working_days_follow_the_official_calendar(client, day, workday, reason, holiday):
    body = client.get(f"/v1/calendar/{day}?lang=en").json()
    assert (body["workday"], body["reason"]) == (workday, reason)
    assert (body["holiday"] or {}).get("code") == holiday


def test_a_malformed_date_is_a_422(client):
    response = client.get("/v1/calendar/2026-13-45")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_date"
