"""Service centres: coverage of districts and services, filters, holiday-aware hours, nearest."""
from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest
from fastapi.testclient import TestClient

from dataservice.opening_hours import day_hours, shanghai_today, weekly_summary
from dataservice.seed import read_yaml
from dataservice.seed.centers import centers_from_yaml
from dataservice.seed.slots import slot_times

DISTRICTS = [d["code"] for d in read_yaml("districts.yaml")]
SERVICES = [
    "resident_id_card", "residence_permit", "residence_permit_points", "hukou_transfer",
    "birth_registration", "marriage_registration", "passport", "hk_macau_permit",
    "driving_license_renewal", "social_security_card", "unemployment_benefit",
    "medical_insurance_reimbursement", "housing_fund_withdrawal", "business_license",
    "individual_business_license", "foreigner_work_permit", "foreigner_residence_permit",
    "property_registration", "public_rental_housing", "elderly_care_subsidy",
    "disability_certificate", "school_enrollment", "pension_claim", "minimum_living_allowance",
]
WEEKDAY = {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
           "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]], "sat": [], "sun": []}
LUNCH = [["09:00", "11:30"], ["13:30", "17:00"]]
# 民生路1500号, the municipal Exit-Entry Administration hall.
MINSHENG_ROAD = (31.2258, 121.5432)


def _makeup_saturday_2026() -> date:
    """A Saturday the official calendar makes a working day (调休), as the library says."""
    saturdays = [d for d in chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31))
                 if d.weekday() == 5]
    assert saturdays, "chinese_calendar lists no make-up Saturday in 2026"
    return saturdays[-1]


def _hours(client: TestClient, center: str, day: str | None = None, lang: str = "zh"):
    params = {"lang": lang} | ({"date": day} if day else {})
    return client.get(f"/v1/centers/{center}/hours", params=params)


# ---------------------------------------------------------------- data coverage


def test_yaml_covers_every_district_and_service():
    rows = centers_from_yaml()
    assert {r["district_code"] for r in rows} == set(DISTRICTS)
    handled = {code for r in rows for code in r["services"]}
    assert handled == set(SERVICES)
    for r in rows:
        assert r["phone"].startswith("021-") and len(r["phone"]) == 12, r["id"]
        assert 30.6 < r["latitude"] < 31.9 and 120.8 < r["longitude"] < 122.2, r["id"]
        assert r["services"], r["id"]


def test_every_district_has_a_community_affairs_centre(client: TestClient):
    for code in DISTRICTS:
        items = client.get("/v1/centers", params={"district": code}).json()["items"]
        assert any("社区事务受理服务中心" in c["name"] for c in items), code
        assert all(c["district"]["code"] == code for c in items)
    for big, at_least in (("pudong", 4), ("minhang", 3)):
        items = client.get("/v1/centers", params={"district": big}).json()["items"]
        assert sum("社区事务受理服务中心" in c["name"] for c in items) >= at_least


def test_every_service_is_handled_somewhere(client: TestClient):
    for code in SERVICES:
        items = client.get("/v1/centers", params={"service": code}).json()["items"]
        assert items, code
        assert all(code in {s["code"] for s in c["services"]} for c in items)


def test_exit_entry_hall(client: TestClient):
    r = client.get("/v1/centers/pudong-exit-entry")
    assert r.status_code == 200
    hall = r.json()
    assert "民生路1500号" in hall["address"]
    assert {"passport", "hk_macau_permit", "foreigner_residence_permit"} <= {
        s["code"] for s in hall["services"]}
    en = client.get("/v1/centers/pudong-exit-entry", params={"lang": "en"}).json()
    assert "1500 Minsheng Road" in en["address"] and en["district"]["name"].startswith("Pudong")
    assert en["weekly_hours"]["mon"] == [["09:00", "17:00"]]
    assert "public holidays" in en["hours_summary"]


def test_filters_combine(client: TestClient):
    items = client.get("/v1/centers", params={"district": "pudong", "service": "passport"}).json()
    ids = [c["id"] for c in items["items"]]
    assert "pudong-exit-entry" in ids and "xuhui-exit-entry" not in ids
    everything = client.get("/v1/centers").json()["items"]
    assert len(everything) >= 40
    assert {c["district"]["code"] for c in everything} == set(DISTRICTS)


def test_list_is_bilingual(client: TestClient):
    zh = client.get("/v1/centers", params={"district": "xuhui", "lang": "zh"}).json()["items"]
    en = client.get("/v1/centers", params={"district": "xuhui", "lang": "en"}).json()["items"]
    assert [c["id"] for c in zh] == [c["id"] for c in en]
    assert zh[0]["district"]["name"] == "徐汇区" and en[0]["district"]["name"] == "Xuhui District"
    assert all(c["name"].isascii() and c["address"].isascii() for c in en)
    assert all(s["name"] and not s["name"].isascii() for c in zh for s in c["services"])
    assert client.get("/v1/centers", params={"lang": "fr"}).status_code == 422


@pytest.mark.parametrize("params, code", [
    ({"district": "atlantis"}, "unknown_district"),
    ({"service": "teleportation"}, "unknown_service"),
    ({"district": "pudong", "service": "teleportation"}, "unknown_service"),
    ({"district": "' OR 1=1 --"}, "unknown_district"),
    ({"service": "passport\x00"}, "unknown_service"),
    ({"district": "Pudong New Area"}, "unknown_district"),  # codes only; free text has a resolver
])
def test_unknown_codes_are_404(client: TestClient, params, code):
    r = client.get("/v1/centers", params=params)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == code


def test_unknown_or_hostile_centre_ids(client: TestClient):
    for cid in ("nope", "pudong-huamu'; DROP TABLE centers; --", "%00"):
        r = client.get(f"/v1/centers/{cid}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "center_not_found"
        assert _hours(client, cid, "2026-12-01").status_code == 404
    assert client.get("/v1/centers/" + "x" * 65).status_code == 422
    assert client.get("/v1/centers", params={"district": "x" * 65}).status_code == 422


# ---------------------------------------------------------------- hours


def test_hours_on_a_normal_weekday(client: TestClient):
    body = _hours(client, "pudong-huamu", "2026-12-01").json()  # a Tuesday
    assert body["center"]["id"] == "pudong-huamu"
    assert body["date"] == "2026-12-01" and body["weekday"] == "tue"
    assert body["open"] is True and body["ranges"] == [["09:00", "17:00"]]
    assert body["reason"] == "regular" and body["holiday"] is None and body["holiday_data"] is True
    assert "09:00–17:00" in body["note"]


def test_lunch_break_is_two_ranges(client: TestClient):
    body = _hours(client, "pudong-tangqiao", "2026-12-01").json()
    assert body["ranges"] == LUNCH and body["open"] is True


def test_hours_at_the_weekend(client: TestClient):
    sunday = _hours(client, "pudong-huamu", "2026-12-06", "en").json()
    assert sunday["open"] is False and sunday["ranges"] == [] and sunday["reason"] == "weekend"
    assert "weekend" in sunday["note"]
    # A centre with Saturday-morning service is open on an ordinary Saturday.
    saturday = _hours(client, "pudong-huamu", "2026-12-05").json()
    assert saturday["open"] is True and saturday["reason"] == "regular"
    assert saturday["ranges"] == [["09:00", "12:00"]]
    closed = _hours(client, "pudong-tangqiao", "2026-12-05").json()
    assert closed["open"] is False and closed["reason"] == "weekend"


def test_statutory_holiday_closes_even_saturday_centres(client: TestClient):
    zh = _hours(client, "pudong-huamu", "2026-10-01").json()
    assert zh["open"] is False and zh["ranges"] == []
    assert zh["reason"] == "statutory_holiday"
    assert zh["holiday"] == {"code": "national_day", "name": "国庆节"}
    assert "国庆节" in zh["note"]
    en = _hours(client, "pudong-huamu", "2026-10-01", "en").json()
    assert en["holiday"]["name"] == "National Day" and "National Day" in en["note"]
    # 2026-10-03 is a Saturday inside the holiday: the Saturday-morning schedule does not apply.
    saturday = _hours(client, "pudong-exit-entry", "2026-10-03").json()
    assert saturday["open"] is False and saturday["reason"] == "statutory_holiday"


def test_makeup_working_saturday_follows_weekday_hours(client: TestClient):
    day = _makeup_saturday_2026()
    body = _hours(client, "pudong-tangqiao", day.isoformat()).json()  # normally closed Saturdays
    assert body["open"] is True and body["reason"] == "makeup_workday"
    assert body["ranges"] == LUNCH
    assert body["holiday"] is not None and "调休" in body["note"]
    # A Saturday-morning centre works the full weekday day.
    assert _hours(client, "pudong-huamu", day.isoformat()).json()["ranges"] == [["09:00", "17:00"]]


def test_year_without_official_calendar_falls_back_to_weekly_schedule(client: TestClient):
    body = _hours(client, "pudong-huamu", "2027-10-01", "en").json()  # a Friday
    assert body["holiday_data"] is False
    assert body["open"] is True and body["reason"] == "regular"
    assert body["ranges"] == [["09:00", "17:00"]]
    assert "not available" in body["note"]
    weekend = _hours(client, "pudong-tangqiao", "2027-10-02").json()
    assert weekend["holiday_data"] is False and weekend["reason"] == "weekend"


def test_default_date_is_today_in_shanghai(client: TestClient):
    body = _hours(client, "pudong-huamu").json()
    assert body["date"] == shanghai_today().isoformat()


@pytest.mark.parametrize("bad", ["2026-02-30", "2026-13-01", "2026-1-1", "tomorrow", "20261001",
                                 "2026-10-01T00:00", "' OR 1=1", "9" * 40, "２０２６-１０-０１"])
def test_bad_dates_are_422(client: TestClient, bad):
    r = _hours(client, "pudong-huamu", bad)
    assert r.status_code == 422
    assert r.json()["error"]["code"] in ("invalid_date", "validation_error")


# ---------------------------------------------------------------- nearest


def test_nearest_exit_entry_hall_from_minsheng_road(client: TestClient):
    lat, lon = MINSHENG_ROAD
    r = client.get("/v1/centers/nearest",
                   params={"lat": lat + 0.001, "lon": lon, "service": "passport", "limit": 2})
    assert r.status_code == 200
    items = r.json()["items"]
    assert len(items) == 2
    assert items[0]["id"] == "pudong-exit-entry" and items[0]["distance_km"] < 0.5
    assert items[0]["distance_km"] <= items[1]["distance_km"]
    assert all("passport" in {s["code"] for s in c["services"]} for c in items)


def test_nearest_without_service_is_sorted_and_limited(client: TestClient):
    r = client.get("/v1/centers/nearest", params={"lat": 31.6248, "lon": 121.3993})
    items = r.json()["items"]
    assert len(items) == 3
    assert items[0]["id"] == "chongming-chengqiao"
    distances = [c["distance_km"] for c in items]
    assert distances == sorted(distances)
    assert len(client.get("/v1/centers/nearest",
                          params={"lat": 31.2, "lon": 121.5, "limit": 20}).json()["items"]) == 20


@pytest.mark.parametrize("params", [
    {"lat": 91, "lon": 121.5}, {"lat": 31.2, "lon": -181}, {"lat": "abc", "lon": 121.5},
    {"lat": "nan", "lon": 121.5}, {"lat": 31.2, "lon": "inf"}, {"lon": 121.5},
    {"lat": 31.2, "lon": 121.5, "limit": 0}, {"lat": 31.2, "lon": 121.5, "limit": 21},
])
def test_nearest_validates_ranges(client: TestClient, params):
    r = client.get("/v1/centers/nearest", params=params)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"


def test_nearest_unknown_service(client: TestClient):
    r = client.get("/v1/centers/nearest", params={"lat": 31.2, "lon": 121.5, "service": "ufo"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_service"


# ---------------------------------------------------------------- pure logic


def test_day_hours_rules():
    assert day_hours(WEEKDAY, date(2026, 10, 1)).reason == "statutory_holiday"
    makeup = day_hours(WEEKDAY, _makeup_saturday_2026())
    assert makeup.open and makeup.ranges == WEEKDAY["mon"] and makeup.holiday_key
    assert day_hours(WEEKDAY, date(2030, 1, 1)).holiday_data is False
    assert day_hours({}, date(2026, 12, 1)).open is False


def test_weekly_summary_groups_days():
    hours = dict(WEEKDAY, sat=[["09:00", "12:00"]])
    assert weekly_summary(hours, "zh") == "周一至周五 09:00–17:00；周六 09:00–12:00；法定节假日休息"
    assert weekly_summary(hours, "en").startswith("Mon–Fri 09:00–17:00; Sat 09:00–12:00")


def test_slot_times_fit_inside_ranges():
    assert slot_times(LUNCH) == [("09:00", "10:00"), ("10:00", "11:00"), ("13:30", "14:30"),
                                 ("14:30", "15:30"), ("15:30", "16:30")]
    assert slot_times([["09:00", "09:30"]]) == []
