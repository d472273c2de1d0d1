"""12345 hotline tickets: vocabulary, creation, lookup, hostile and odd input."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dataservice.db import make_engine, make_sessionmaker
from dataservice.models import Ticket

TICKET_NO = re.compile(r"^12345-\d{8}-[0-9A-Z]{6}$")


def _report(**overrides) -> dict:
    body = {"issue_type": "noise", "description": "楼下商铺每晚音响声音很大，持续到凌晨。",
            "location": "徐汇区天钥桥路某号", "district": "xuhui", "language": "zh"}
    body.update(overrides)
    return body


def test_issue_types_in_both_languages(client: TestClient):
    zh = client.get("/v1/tickets/issue-types", params={"lang": "zh"}).json()["items"]
    en = client.get("/v1/tickets/issue-types", params={"lang": "en"}).json()["items"]
    codes = [t["code"] for t in zh]
    assert codes == ["noise", "road_damage", "streetlight", "garbage_collection", "illegal_parking",
                     "water_supply", "drainage", "greenery", "public_facility", "pollution", "other"]
    assert [t["code"] for t in en] == codes
    assert zh[0]["label"] == "噪声扰民" and en[0]["label"] == "Noise nuisance"
    assert client.get("/v1/tickets/issue-types", params={"lang": "fr"}).status_code == 422


def test_create_then_look_up(client: TestClient):
    r = client.post("/v1/tickets", json=_report(contact_phone="13812345678"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert TICKET_NO.match(created["ticket_no"])
    assert created["status"] == "received"
    assert "工作日" in created["expected_response"]["text"]
    assert "working day" in created["expected_response"]["en"]
    assert created["expected_response"]["respond_by"] >= created["created_at"][:10]

    zh = client.get(f"/v1/tickets/{created['ticket_no']}", params={"lang": "zh"}).json()
    assert zh["status"] == {"code": "received", "label": "已受理"}
    assert zh["issue_type"]["label"] == "噪声扰民"
    assert zh["district"] == {"code": "xuhui", "name": "徐汇区"}
    assert zh["contact_phone_masked"] == "138******78"
    assert "13812345678" not in r.text + str(zh)
    assert zh["history"][0]["note"].startswith("12345")
    en = client.get(f"/v1/tickets/{created['ticket_no'].lower()}", params={"lang": "en"}).json()
    assert en["status"]["label"] == "Received" and en["district"]["name"] == "Xuhui District"
    assert en["history"][0]["note"].startswith("The 12345 hotline")


def test_ticket_numbers_are_unique_and_not_sequential(client: TestClient):
    numbers = {client.post("/v1/tickets", json=_report(issue_type="other")).json()["ticket_no"]
               for _ in range(5)}
    assert len(numbers) == 5
    suffixes = sorted(n.rsplit("-", 1)[1] for n in numbers)
    assert not all(s.isdigit() for s in suffixes)


def test_contact_phone_is_optional_and_plus86_is_understood(client: TestClient):
    r = client.post("/v1/tickets", json=_report())
    assert r.status_code == 201
    got = client.get(f"/v1/tickets/{r.json()['ticket_no']}").json()
    assert got["contact_phone_masked"] is None
    r = client.post("/v1/tickets", json=_report(contact_phone="+86 139-1234-5678"))
    got = client.get(f"/v1/tickets/{r.json()['ticket_no']}").json()
    assert got["contact_phone_masked"] == "139******78"


def test_seeded_tickets_have_bilingual_history(client: TestClient):
    zh = client.get("/v1/tickets/12345-20261103-K7M2QX", params={"lang": "zh"}).json()
    en = client.get("/v1/tickets/12345-20261103-K7M2QX", params={"lang": "en"}).json()
    assert zh["status"]["code"] == "resolved" and len(zh["history"]) == 4
    assert zh["history"][-1]["note"] != en["history"][-1]["note"]
    assert zh["contact_phone_masked"] == "139******34"
    statuses = {client.get(f"/v1/tickets/{n}").json()["status"]["code"] for n in (
        "12345-20261103-K7M2QX", "12345-20261110-3HPV8N", "12345-20261118-W4TZ6R",
        "12345-20261120-9JCB5D", "12345-20261126-M2VS9P")}
    assert statuses == {"received", "assigned", "in_progress", "resolved", "closed"}


def test_unknown_and_malformed_ticket_numbers(client: TestClient):
    r = client.get("/v1/tickets/12345-20261128-ZZZZZZ")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    for bad in ("abc", "12345-2026-XYZ", "1' OR '1'='1"):
        r = client.get(f"/v1/tickets/{bad}")
        assert r.status_code == 422, bad
        assert r.json()["error"]["code"] == "invalid_ticket_no"


@pytest.mark.parametrize("overrides", [
    {"district": "atlantis"},
    {"issue_type": "ufo"},
    {"issue_type": None},
    {"description": "hi"},
    {"description": "     ab      "},
    {"description": "x" * 10_001},
    {"location": ""},
    {"location": "L" * 201},
    {"language": "fr"},
    {"contact_phone": "call me"},
    {"contact_phone": "123"},
    {"description": "bad\x00byte here"},
    {"unexpected": 1},
    {"description": 12345678},
])
def test_invalid_reports_are_422(client: TestClient, overrides):
    r = client.post("/v1/tickets", json=_report(**overrides))
    assert r.status_code == 422, (overrides, r.text)
    assert r.json()["error"]["code"] in {"validation_error", "unknown_district"}


def test_missing_fields_and_wrong_body_types(client: TestClient):
    assert client.post("/v1/tickets", json={}).status_code == 422
    assert client.post("/v1/tickets", json=["noise"]).status_code == 422
    assert client.post("/v1/tickets", json="noise").status_code == 422


def test_huge_description_is_rejected_before_parsing(client: TestClient):
    r = client.post("/v1/tickets", json=_report(description="噪" * 40_000))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("text", [
    "'; DROP TABLE tickets; -- 路灯坏了",
    "<script>alert('x')</script> 路面有坑",
    "{{7*7}} ${jndi:ldap://x/a} %s%s%n 井盖缺失",
    "Robert'); DELETE FROM districts WHERE ('1'='1",
    "路灯坏了🚧💡😡 已经一周了 🙏",
    "多行描述\n第二行\t带制表符",
])
def test_hostile_and_unicode_text_is_stored_verbatim(client: TestClient, text):
    r = client.post("/v1/tickets", json=_report(issue_type="streetlight", description=text,
                                                location=text[:200], language="en"))
    assert r.status_code == 201, r.text
    got = client.get(f"/v1/tickets/{r.json()['ticket_no']}", params={"lang": "en"}).json()
    assert got["description"] == text.strip()
    assert got["location"] == text[:200].strip()
    # The tables the injections aim at are intact.
    assert client.get("/v1/tickets/12345-20261103-K7M2QX").status_code == 200
    assert client.post("/v1/tickets", json=_report()).status_code == 201


PHONE, ID_NO = "13812345678", "31010419800101123X"


@pytest.mark.parametrize("lang,description,location", [
    ("zh", f"楼下噪音，请回电{PHONE}，身份证{ID_NO}", f"徐汇区天钥桥路1号 电话138 1234 5678"),
    ("en", f"Noise every night. Call me on +86 138-1234-5678, ID {ID_NO}.",
     f"No. 1 Tianyaoqiao Road, tel {PHONE}"),
])
def test_phone_and_id_numbers_in_free_text_are_redacted_before_storage(
        client: TestClient, settings, lang, description, location):
    r = client.post("/v1/tickets", json=_report(description=description, location=location,
                                                language=lang))
    assert r.status_code == 201, r.text
    ticket_no = r.json()["ticket_no"]
    stored = _stored_ticket(settings, ticket_no)
    got = client.get(f"/v1/tickets/{ticket_no}", params={"lang": lang}).json()
    for text in (stored.description, stored.location, got["description"], got["location"]):
        assert "12345678" not in text.replace(" ", "").replace("-", "") and ID_NO not in text
    assert "138******78" in stored.description and "3101************3X" in stored.description
    assert got["description"] == stored.description


def test_tickets_stored_in_the_clear_before_redaction_are_redacted_on_the_way_out(
        client: TestClient, settings):
    ticket_no = client.post("/v1/tickets", json=_report()).json()["ticket_no"]
    with _db(settings) as session, session.begin():
        session.get(Ticket, ticket_no).description = f"旧工单，联系电话{PHONE}"
    got = client.get(f"/v1/tickets/{ticket_no}").json()
    assert got["description"] == "旧工单，联系电话138******78"


@contextmanager
def _db(settings) -> Iterator[Session]:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _stored_ticket(settings, ticket_no: str) -> Ticket:
    with _db(settings) as session:
        ticket = session.get(Ticket, ticket_no)
        session.expunge(ticket)
        return ticket
