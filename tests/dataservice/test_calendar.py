"""The city's working calendar: statutory holidays, make-up working days, ordinary days, and the
next occurrence of a holiday named in either language."""
from __future__ import annotations

import pytest

from dataservice.opening_hours import shanghai_today


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


# -- named holidays: the next occurrence -------------------------------------------------------

def next_holiday(client, name: str, start: str | None = None, lang: str = "zh"):
    params = {"name": name, "lang": lang, **({"from": start} if start else {})}
    return client.get("/v1/calendar/holidays/next", params=params)


@pytest.mark.parametrize("name, lang, start, code, holiday_name, day", [
    # Lunar holidays beyond the years any table in the project ever listed.
    ("春节", "zh", "2030-06-01", "spring_festival", "春节", "2031-01-23"),
    ("过年", "zh", "2030-06-01", "spring_festival", "春节", "2031-01-23"),
    ("CNY", "en", "2030-06-01", "spring_festival", "Spring Festival", "2031-01-23"),
    ("mid-autumn", "en", "2030-01-01", "mid_autumn_festival", "Mid-Autumn Festival", "2030-09-12"),
    ("中秋节", "zh", "2030-01-01", "mid_autumn_festival", "中秋节", "2030-09-12"),
    ("端午节", "zh", "2029-01-01", "dragon_boat_festival", "端午节", "2029-06-16"),
    ("Dragon Boat Festival", "en", "2029-01-01", "dragon_boat_festival", "Dragon Boat Festival",
     "2029-06-16"),
    ("清明", "zh", "2028-01-01", "tomb_sweeping_day", "清明节", "2028-04-04"),   # the solar term
    ("五一", "zh", "2029-05-02", "labour_day", "劳动节", "2030-05-01"),
    ("golden week", "en", "2032-01-01", "national_day", "National Day", "2032-10-01"),
    ("new_years_day", "en", "2027-01-02", "new_years_day", "New Year's Day", "2028-01-01"),
])
def test_a_named_holiday_falls_where_the_calendar_puts_it(client, name, lang, start, code,
                                                           holiday_name, day):
    body = next_holiday(client, name, start, lang).json()
    assert (body["code"], body["name"], body["date"]) == (code, holiday_name, day)
    # No official calendar for those years yet: the date only, and the answer says so.
    assert (body["holiday_data"], body["days_off"], body["makeup_workdays"]) == (False, None, None)


def test_a_published_year_gives_the_official_days_off_and_make_up_days(client):
    body = next_holiday(client, "国庆", "2026-09-01", "en").json()
    assert body == {"code": "national_day", "name": "National Day", "date": "2026-10-01",
                    "weekday": "thu", "holiday_data": True,
                    "days_off": {"from": "2026-10-01", "to": "2026-10-07", "count": 7},
                    "makeup_workdays": ["2026-09-20", "2026-10-10"]}


@pytest.mark.parametrize("start, day", [
    ("2026-10-03", "2026-10-01"),  # during the days off: this year's
    ("2026-10-08", "2027-10-01"),  # the day after they end: next year's
])
def test_during_its_days_off_the_holiday_is_the_current_one(client, start, day):
    assert next_holiday(client, "十一", start).json()["date"] == day


def test_without_a_date_the_next_one_from_today_in_shanghai(client):
    today = shanghai_today().isoformat()
    assert next_holiday(client, "春节").json() == next_holiday(client, "春节", today).json()


@pytest.mark.parametrize("name, lang", [("圣诞节", "zh"), ("Christmas", "en"), ("十一月", "zh")])
def test_an_unknown_holiday_is_a_404(client, name, lang):
    response = next_holiday(client, name, "2026-12-03", lang)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_holiday"


@pytest.mark.parametrize("name, start, code", [
    ("春节", "2026-02-30", "invalid_date"),
    ("春节", "03/12/2026", "invalid_date"),
    ("春节", "1999-01-01", "date_out_of_range"),
    ("   ", "2026-12-03", "validation_error"),
])
def test_a_bad_name_or_date_is_a_422(client, name, start, code):
    response = next_holiday(client, name, start)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
