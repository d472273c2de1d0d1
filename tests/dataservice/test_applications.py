"""Application progress: verified lookup, one answer for every failure, audit trail."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from dataservice.db import make_engine, make_sessionmaker
from dataservice.main import create_app
from dataservice.models import Application, AuditLog
from dataservice.seed import DATA_DIR
from dataservice.seed.applications import weeks_moved

SAMPLE_FILE = yaml.safe_load((DATA_DIR / "applications.yaml").read_text("utf-8"))
APPS = {row["application_no"]: row for row in SAMPLE_FILE["applications"]}
SAMPLE = APPS["SH2026110500123"]  # resident ID card, ready for pickup
LAST4 = SAMPLE["phone"][-4:]
WRONG4 = "0000" if LAST4 != "0000" else "1111"


def _lookup(client: TestClient, number: str, last4: str, lang: str = "zh"):
    return client.post("/v1/applications/lookup", params={"lang": lang},
                       json={"application_no": number, "phone_last4": last4})


def _audit_rows(settings, record_ref: str) -> list[AuditLog]:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.scalars(select(AuditLog).where(
                AuditLog.action == "application.lookup", AuditLog.record_ref == record_ref,
            ).order_by(AuditLog.id)))
    finally:
        engine.dispose()


def test_seed_has_about_twenty_applications_in_every_status(settings):
    assert len(APPS) >= 20
    assert {row["status"] for row in APPS.values()} == {
        "submitted", "under_review", "need_more_documents", "approved", "ready_for_pickup",
        "completed", "rejected"}
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            stored = session.scalars(select(Application)).all()
    finally:
        engine.dispose()
    assert len(stored) >= len(APPS)
    for app in stored:
        phone = APPS[app.application_no]["phone"]
        assert app.phone_masked == phone[:3] + "******" + phone[-2:]
        assert phone[-4:] not in app.phone_masked and len(app.verify_digest) == 64


def test_right_factor_gives_status_in_chinese(client: TestClient):
    r = _lookup(client, SAMPLE["application_no"], LAST4, "zh")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["status"] == {"code": "ready_for_pickup", "label": "待领取"}
    assert body["service"]["code"] == "resident_id_card" and "身份证" in body["service"]["name"]
    assert body["center"]["id"] == "huangpu-hukou" and "黄浦" in body["center"]["name"]
    assert body["applicant_name_masked"] == "张**"
    assert body["phone_masked"] == "138******90"
    assert [h["status"] for h in body["history"]] == [
        "submitted", "under_review", "approved", "ready_for_pickup"]
    assert body["history"][-1]["note"] == SAMPLE["history"][-1]["note_zh"]
    assert body["note"] == SAMPLE["note_zh"]


def test_right_factor_gives_status_in_english(client: TestClient):
    body = _lookup(client, SAMPLE["application_no"], LAST4, "en").json()
    assert body["status"] == {"code": "ready_for_pickup", "label": "Ready for collection"}
    assert "ID" in body["service"]["name"] or "Identity" in body["service"]["name"]
    assert body["center"]["address"].endswith("Huangpu District")
    assert body["history"][0]["status_label"] == "Submitted"
    assert body["history"][-1]["note"] == SAMPLE["history"][-1]["note_en"]


def test_number_is_normalised(client: TestClient):
    r = _lookup(client, " " + SAMPLE["application_no"].lower() + " ", LAST4)
    assert r.status_code == 200
    assert r.json()["application_no"] == SAMPLE["application_no"]


@pytest.mark.parametrize("number", sorted(APPS))
def test_every_seeded_application_is_found_and_leaks_no_phone(client: TestClient, number):
    row = APPS[number]
    for lang in ("zh", "en"):
        r = _lookup(client, number, row["phone"][-4:], lang)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"]["code"] == row["status"]
        assert row["phone"] not in r.text
        assert row["applicant_name"] not in r.text
        assert body["note"] == row[f"note_{lang}"]


def test_wrong_factor_and_unknown_number_are_the_same_404(client: TestClient):
    wrong = _lookup(client, SAMPLE["application_no"], WRONG4)
    unknown = _lookup(client, "SH2026010199999", LAST4)
    unknown_en = _lookup(client, "SH2026010199999", LAST4, "en")
    assert wrong.status_code == unknown.status_code == unknown_en.status_code == 404
    assert wrong.content == unknown.content == unknown_en.content
    assert wrong.json() == {"error": {"code": "not_found",
                                      "message": "No application matches this number and phone."}}


def test_lookups_are_audited_with_outcome_and_no_phone_digits(client: TestClient, settings):
    number = "SH2026112300044"
    last4 = APPS[number]["phone"][-4:]
    before = len(_audit_rows(settings, number))
    _lookup(client, number, last4)
    _lookup(client, number, "0000" if last4 != "0000" else "1111")
    _lookup(client, "SH2026010188888", last4)
    rows = _audit_rows(settings, number)[before:]
    assert [r.outcome for r in rows] == ["found", "verification_failed"]
    missing = _audit_rows(settings, "SH2026010188888")
    assert [r.outcome for r in missing][-1:] == ["not_found"]
    for row in rows + missing:
        assert row.client.startswith("key-") and "test-key" not in row.client
        assert last4 not in row.record_ref and row.record_ref.startswith("SH")
        assert row.at is not None


def test_each_api_client_is_told_apart_in_the_audit(settings):
    from tests.dataservice.conftest import OTHER_KEY

    number = "SH2026111900318"
    # Its own app: the shared app's async Redis connections belong to the `client` event loop.
    with TestClient(create_app(settings), headers={"X-API-Key": OTHER_KEY}) as other:
        assert _lookup(other, number, APPS[number]["phone"][-4:]).status_code == 200
    clients = {r.client for r in _audit_rows(settings, number)}
    assert len(clients) >= 1
    from dataservice.security import client_id_for_key

    assert client_id_for_key(OTHER_KEY) in clients


@pytest.mark.parametrize("body", [
    {"application_no": SAMPLE["application_no"], "phone_last4": "559"},
    {"application_no": SAMPLE["application_no"], "phone_last4": "55900"},
    {"application_no": SAMPLE["application_no"], "phone_last4": "abcd"},
    {"application_no": SAMPLE["application_no"], "phone_last4": "５５９０"},
    {"application_no": SAMPLE["application_no"], "phone_last4": 5590},
    {"application_no": SAMPLE["application_no"]},
    {"phone_last4": "5590"},
    {"application_no": "SH123", "phone_last4": "5590"},
    {"application_no": "SH2026110500123' OR '1'='1", "phone_last4": "5590"},
    {"application_no": "X" * 5000, "phone_last4": "5590"},
    {"application_no": SAMPLE["application_no"], "phone_last4": "5590", "phone": "13817265590"},
    {"application_no": None, "phone_last4": "5590"},
])
def test_invalid_bodies_are_422(client: TestClient, body):
    r = client.post("/v1/applications/lookup", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    assert "13817265590" not in r.text


def test_factor_is_never_accepted_in_the_url_and_lang_is_checked(client: TestClient):
    r = client.post(f"/v1/applications/lookup?phone_last4={LAST4}",
                    json={"application_no": SAMPLE["application_no"]})
    assert r.status_code == 422
    assert _lookup(client, SAMPLE["application_no"], LAST4, "fr").status_code == 422
    assert client.get("/v1/applications/lookup").status_code == 405


FINAL = {"completed", "rejected"}


def test_sample_applications_read_plausibly_on_every_day_of_the_year():
    """Seeded on any day, no event lies in the future and nothing in progress is past its date."""
    written = date.fromisoformat(SAMPLE_FILE["written_as_of"])
    day = date(2026, 1, 1)
    while day.year == 2026:
        shift = weeks_moved(written, day)
        start_of_day = datetime.combine(day, time(0, 0), ZoneInfo("Asia/Shanghai"))
        for row in APPS.values():
            events = [datetime.fromisoformat(h["at"]) + shift for h in row["history"]]
            assert max(events) < start_of_day, (day, row["application_no"])
            expected = row.get("expected_done_at")
            if expected and row["status"] not in FINAL | {"ready_for_pickup"}:
                assert (datetime.fromisoformat(expected) + shift).date() > day, (day, row["application_no"])
        day += timedelta(days=1)
