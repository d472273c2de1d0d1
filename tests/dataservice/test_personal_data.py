"""Every answer carrying personal data is `Cache-Control: no-store`: the routes marked so are
exactly the ones listed here, and each of them really sends the header on a successful call."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from dataservice.api.personal import personal_routes
from dataservice.api.routers import V1_PREFIX, V1_ROUTERS


def _booking(client: TestClient) -> dict:
    slots = client.get("/v1/slots", params={"center": "huangpu-hukou",
                                            "service": "resident_id_card"}).json()["items"]
    r = client.post("/v1/appointments", json={"slot_id": slots[-1]["slot_id"], "name": "张伟明",
                                               "phone": "13817265590"})
    assert r.status_code == 201, r.text
    return r


def _ticket(client: TestClient):
    r = client.post("/v1/tickets", json={"description": "小区门口路灯不亮，联系13812345678",
                                         "location": "宜山路700弄", "district": "xuhui"})
    assert r.status_code == 201, r.text
    return r


def _lookup(client: TestClient, path: str):
    ref = {"booking_no": _booking(client).json()["booking_no"], "phone_last4": "5590"}
    return client.post(path, json=ref)


CALLS = {
    ("POST", "/v1/appointments"): _booking,
    ("POST", "/v1/appointments/lookup"): lambda c: _lookup(c, "/v1/appointments/lookup"),
    ("POST", "/v1/appointments/cancel"): lambda c: _lookup(c, "/v1/appointments/cancel"),
    ("POST", "/v1/applications/lookup"): lambda c: c.post(
        "/v1/applications/lookup", json={"application_no": "SH2026111200086", "phone_last4": "8843"}),
    ("POST", "/v1/utilities/bills/lookup"): lambda c: c.post(
        "/v1/utilities/bills/lookup",
        json={"kind": "water", "account_no": "1020384756", "verification": "4403"}),
    ("POST", "/v1/tickets"): _ticket,
    ("GET", "/v1/tickets/{ticket_no}"): lambda c: c.get(
        f"/v1/tickets/{_ticket(c).json()['ticket_no']}"),
}


def test_the_routes_marked_personal_are_exactly_those_that_answer_with_personal_data():
    assert personal_routes(V1_ROUTERS, V1_PREFIX) == set(CALLS)


@pytest.mark.parametrize("route", sorted(CALLS), ids=" ".join)
def test_every_personal_answer_is_no_store(client: TestClient, route):
    r = CALLS[route](client)
    assert r.status_code in (200, 201), r.text
    assert r.headers["cache-control"] == "no-store"


def test_openapi_json_documents_no_store_on_every_personal_route(app):
    paths = app.openapi()["paths"]
    for method, path in CALLS:
        answers = paths[path][method.lower()]["responses"]
        success = {status: answer for status, answer in answers.items() if status.startswith("2")}
        assert success and all(answer["headers"]["Cache-Control"]["schema"]["const"] == "no-store"
                               for answer in success.values()), (method, path)
    assert "headers" not in paths["/v1/services"]["get"]["responses"]["200"]


def test_public_reads_stay_cacheable(client: TestClient):
    r = client.get("/v1/services/passport")
    assert r.status_code == 200 and "cache-control" not in r.headers
