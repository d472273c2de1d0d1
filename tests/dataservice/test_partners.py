"""Enterprise partners: utility bills behind a verification factor, transport cards, provenance."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from dataservice.db import make_engine, make_sessionmaker
from dataservice.models import AuditLog
from dataservice.partners import SEED_DIR
from dataservice.partners.utility import bill_periods

ACCOUNTS = {kind: yaml.safe_load((SEED_DIR / f"{kind}.yaml").read_text("utf-8"))["accounts"]
            for kind in ("water", "electricity", "gas")}
PARTNER_NAMES = {"water": ("上海城投水务（示例）", "Shanghai Water (sample)"),
                 "electricity": ("国网上海电力（示例）", "State Grid Shanghai Electric Power (sample)"),
                 "gas": ("上海燃气（示例）", "Shanghai Gas (sample)")}
UNITS = {"water": "m³", "electricity": "kWh", "gas": "m³"}


def _lookup(client: TestClient, kind: str, account_no: str, verification: str, lang: str = "zh"):
    return client.post("/v1/utilities/bills/lookup", params={"lang": lang},
                       json={"kind": kind, "account_no": account_no, "verification": verification})


def _assert_provenance(body: dict, partner_id: str, name: str):
    prov = body["provenance"]
    assert prov["partner_id"] == partner_id and prov["partner"] == name
    assert prov["sample_data"] is True
    assert datetime.fromisoformat(prov["as_of"]).tzinfo is not None


@pytest.mark.parametrize("kind", ["water", "electricity", "gas"])
def test_each_utility_kind_with_the_right_factor(client: TestClient, kind):
    account = ACCOUNTS[kind][0]
    phone = account["phone"]
    zh = _lookup(client, kind, account["account_no"], phone[-4:], "zh")
    assert zh.status_code == 200, zh.text
    assert zh.headers["cache-control"] == "no-store"
    body = zh.json()
    assert body["account"]["kind"] == kind
    assert body["account"]["holder_masked"] == account["holder"][0] + "*" * (len(account["holder"]) - 1)
    assert "*" in body["account"]["address_masked"] and "张杨路" in body["account"]["address_masked"]
    assert phone not in zh.text and account["address_zh"] not in zh.text
    bills = body["bills"]
    assert 1 <= len(bills) <= 6
    assert [b["period"] for b in bills] == sorted((b["period"] for b in bills), reverse=True)
    for bill in bills:
        assert bill["unit"] == UNITS[kind]
        assert bill["status"] in {"paid", "unpaid", "overdue"}
        assert bill["amount_cny"] > 0 and bill["usage"] > 0
        datetime.fromisoformat(bill["due_date"])
    unpaid = sum(Decimal(str(b["amount_cny"])) for b in bills if b["status"] != "paid")
    assert Decimal(str(body["total_unpaid_cny"])) == unpaid > 0
    _assert_provenance(body, body["provenance"]["partner_id"], PARTNER_NAMES[kind][0])

    en = _lookup(client, kind, account["account_no"], phone[-4:], "en").json()
    assert "Zhangyang Road" in en["account"]["address_masked"]
    assert en["bills"][0]["status_label"] in {"Paid", "Unpaid", "Overdue"}
    _assert_provenance(en, body["provenance"]["partner_id"], PARTNER_NAMES[kind][1])


@pytest.mark.parametrize("cycle_months", [1, 2])
def test_seeded_bills_read_the_same_on_every_day_of_the_year(cycle_months):
    """Seeded on any day and read within ten days: newest bill not yet due, the older ones overdue."""
    day = date(2026, 1, 1)
    while day.year == 2026:
        periods = bill_periods(day, cycle_months, 3)
        for read_on in (day, day + timedelta(days=9)):
            assert periods[0][1] > read_on and all(due < read_on for _, due in periods[1:]), day
        assert [p for p, _ in periods] == sorted({p for p, _ in periods}, reverse=True), day
        day += timedelta(days=1)


def test_earlier_unpaid_bill_is_overdue(client: TestClient):
    account = ACCOUNTS["water"][1]  # two unpaid bills: the older one is past its due date
    body = _lookup(client, "water", account["account_no"], account["phone"][-4:], "en").json()
    assert [b["status"] for b in body["bills"][:2]] == ["unpaid", "overdue"]


def test_wrong_factor_wrong_kind_and_unknown_account_look_the_same(client: TestClient):
    account = ACCOUNTS["electricity"][0]
    wrong = "0000" if account["phone"][-4:] != "0000" else "1111"
    answers = [
        _lookup(client, "electricity", account["account_no"], wrong),
        _lookup(client, "water", account["account_no"], account["phone"][-4:]),
        _lookup(client, "gas", "9999999999", "1234"),
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert answers[0].json()["error"]["code"] == "not_found"


def test_lookups_are_audited_without_the_factor(client: TestClient, settings):
    account = ACCOUNTS["gas"][1]
    last4 = account["phone"][-4:]
    _lookup(client, "gas", account["account_no"], last4)
    _lookup(client, "gas", account["account_no"], "0000" if last4 != "0000" else "1111")
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            rows = session.scalars(select(AuditLog).where(
                AuditLog.action == "utility.lookup",
                AuditLog.record_ref == f"gas:{account['account_no']}").order_by(AuditLog.id)).all()
    finally:
        engine.dispose()
    outcomes = [r.outcome for r in rows][-2:]
    assert outcomes == ["found", "verification_failed"]
    assert all(last4 not in r.record_ref and r.client.startswith("key-") for r in rows)


@pytest.mark.parametrize("body", [
    {"kind": "internet", "account_no": "1020384756", "verification": "4403"},
    {"kind": "water", "account_no": "abc", "verification": "4403"},
    {"kind": "water", "account_no": "1020384756", "verification": "440"},
    {"kind": "water", "account_no": "1020384756", "verification": "44033"},
    {"kind": "water", "account_no": "1020384756", "verification": "４４０３"},
    {"kind": "water", "account_no": "1' OR 1=1 --", "verification": "4403"},
    {"kind": "water", "account_no": "1020384756"},
    {"kind": "water", "account_no": "1020384756", "verification": "4403", "phone": "13817264403"},
])
def test_invalid_lookup_bodies_are_422(client: TestClient, body):
    r = client.post("/v1/utilities/bills/lookup", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"


def test_transport_card_balance_and_trips_without_places(client: TestClient):
    zh = client.get("/v1/transport-cards/31008815263", params={"lang": "zh"})
    assert zh.status_code == 200, zh.text
    card = zh.json()
    assert card["balance_cny"] == 46.3 and card["status_label"] == "正常"
    assert len(card["trips"]) == 10
    days = [t["date"] for t in card["trips"]]
    assert days == sorted(days, reverse=True)
    assert {t["mode_label"] for t in card["trips"]} >= {"地铁", "公交"}
    # A card number alone never reveals where or when its holder travelled.
    for trip in card["trips"]:
        assert set(trip) == {"date", "mode", "mode_label", "fare_cny"}
    assert all(len(t["date"]) == 10 for t in card["trips"])  # a day, no time of day
    for place in ("南京西路", "张江高科", "2号线"):
        assert place not in json.dumps(card, ensure_ascii=False)
    _assert_provenance(card, "sptc-sample", "上海公共交通卡（示例）")

    en = client.get("/v1/transport-cards/310-0881-5263", params={"lang": "en"}).json()
    assert en["card_no"] == "31008815263"
    assert {t["mode_label"] for t in en["trips"]} >= {"Metro", "Bus", "Ferry"}
    assert "West Nanjing Road" not in json.dumps(en)
    _assert_provenance(en, "sptc-sample", "Shanghai Public Transport Card (sample)")


def test_lost_card_says_so(client: TestClient):
    card = client.get("/v1/transport-cards/31005530817", params={"lang": "en"}).json()
    assert card["status"] == "lost" and card["status_label"] == "Reported lost"


def test_unknown_card_is_404_and_bad_format_422(client: TestClient):
    r = client.get("/v1/transport-cards/31000000000")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    for bad in ("123", "3100881526X", "310088152631", "31008815263; DROP TABLE x"):
        r = client.get(f"/v1/transport-cards/{bad}")
        assert r.status_code == 422, bad
        assert r.json()["error"]["code"] == "invalid_card_no"
    assert client.get("/v1/transport-cards/31008815263", params={"lang": "de"}).status_code == 422
