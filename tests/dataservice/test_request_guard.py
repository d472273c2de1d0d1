"""Hostile bodies get a 4xx JSON error on every route that takes one, never a 500.

The checks live in one layer in front of the app (dataservice/request_guard.py); these tests send
the attacker's probes to every body-taking route, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dataservice.request_guard import MAX_JSON_DEPTH

BODY_ROUTES = ["/v1/tickets", "/v1/appointments", "/v1/appointments/lookup",
               "/v1/appointments/cancel", "/v1/applications/lookup", "/v1/utilities/bills/lookup",
               "/v1/tickets/classify"]
TICKET = {"issue_type": "noise", "description": "楼下商铺每晚音响声音很大。", "location": "徐汇区天钥桥路",
          "district": "xuhui", "language": "zh"}
JSON = {"Content-Type": "application/json"}


def _post(client: TestClient, path: str, raw: bytes, headers: dict | None = None):
    return client.post(path, content=raw, headers=headers or JSON)


def _error(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"]["code"] == code


def test_every_body_route_is_in_the_list(app):
    posts = {path for path, ops in app.openapi()["paths"].items() if "post" in ops}
    assert posts == set(BODY_ROUTES)


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("raw", [
    b'{"slot_id": NaN}', b'{"slot_id": Infinity}', b'{"slot_id": -Infinity}',
    b'{"description": NaN}', b'{"a": 1} trailing', b'{"a": "\xff"}',
])
def test_what_is_not_strict_json_is_400(client: TestClient, path, raw):
    _error(_post(client, path, raw), 400, "malformed_json")


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("raw", [
    b'{"description": "\\ud800 lone surrogate"}', b'{"name": "\\udc00"}', b'{"slot_id": 1e999}',
    b'{"district": "xu\\u0000hui"}', b'{"\\u0000": 1}',
    b"[" * 8000, b"[" * 950 + b"]" * 950, b"[" * 1100 + b"]" * 1100,
    b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
])
def test_json_no_field_can_take_is_422(client: TestClient, path, raw):
    _error(_post(client, path, raw), 422, "validation_error")


@pytest.mark.parametrize("path", BODY_ROUTES)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml"])
def test_a_body_that_is_not_json_is_415(client: TestClient, path, content_type):
    _error(_post(client, path, b"issue_type=noise", {"Content-Type": content_type}), 415,
           "unsupported_media_type")


def test_nul_in_a_ticket_district_is_422_not_500(client: TestClient):
    r = client.post("/v1/tickets", json=TICKET | {"district": "xuhui\x00"})
    _error(r, 422, "validation_error")


def test_paired_surrogates_and_json_media_types_still_work(client: TestClient):
    raw = ('{"issue_type": "noise", "description": "噪音 \\ud83d\\ude21 every night", '
           '"location": "徐汇区天钥桥路", "district": "xuhui", "language": "en"}').encode()
    r = _post(client, "/v1/tickets", raw, {"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text
    got = client.get(f"/v1/tickets/{r.json()['ticket_no']}").json()
    assert got["description"] == "噪音 😡 every night"
    nested_ok = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    _error(_post(client, "/v1/tickets", nested_ok), 422, "validation_error")  # a list, not a report


@pytest.mark.parametrize("body", [
    {"slot_id": 2**63, "name": "张三", "phone": "13812345678"},
    {"slot_id": -1, "name": "张三", "phone": "13812345678"},
    {"slot_id": 1.5, "name": "张三", "phone": "13812345678"},
])
def test_out_of_range_numbers_are_422(client: TestClient, body):
    _error(client.post("/v1/appointments", json=body), 422, "validation_error")
