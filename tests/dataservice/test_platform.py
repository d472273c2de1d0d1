"""Cross-cutting behaviour: health, auth, error shape, body limits, OpenAPI."""
from __future__ import annotations

from fastapi.testclient import TestClient

from dataservice.main import create_app


def test_health_is_open_and_ready_checks_both_servers(anon_client: TestClient):
    assert anon_client.get("/healthz").json() == {"status": "ok"}
    ready = anon_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "classifier": "ok"}


def test_readyz_reports_unreachable_redis(settings):
    from dataclasses import replace

    broken = replace(settings, redis_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(broken)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["redis"].startswith("unavailable")


def test_readyz_refuses_a_database_behind_the_code(settings, tmp_path):
    """A deploy that skipped `python -m dataservice migrate` is not ready (instead of serving 500s)."""
    from dataclasses import replace

    from dataservice.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    with TestClient(create_app(replace(settings, database_url=url))) as c:
        never = c.get("/readyz")
        upgrade(url, "0001")
        behind = c.get("/readyz")
        upgrade(url)
        current = c.get("/readyz")
    assert never.status_code == 503 and never.json()["checks"]["database"].startswith("not migrated")
    assert behind.status_code == 503 and "schema at 0001" in behind.json()["checks"]["database"]
    assert current.status_code == 200 and current.json()["checks"]["database"] == "ok"


def test_openapi_is_open_and_lists_v1(anon_client: TestClient):
    spec = anon_client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert any(path.startswith("/v1/") for path in spec["paths"])


def test_v1_requires_a_valid_key(anon_client: TestClient):
    for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "wrong"}, {"X-API-Key": "test-key-0123456789x"}):
        r = anon_client.get("/v1/services/passport", headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["error"]["code"] == "unauthorized"


def test_unknown_route_is_json_404(client: TestClient):
    r = client.get("/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_oversized_body_is_413_without_reaching_the_app(client: TestClient):
    r = client.post("/v1/tickets", content=b"{" + b" " * 70_000 + b"}",
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_malformed_json_is_400(client: TestClient):
    r = client.post("/v1/tickets", content=b'{"issue_type": ', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "malformed_json"


def test_metrics_expose_cache_counters(anon_client: TestClient, client: TestClient):
    client.get("/v1/services/passport")
    client.get("/v1/services/passport")
    text = anon_client.get("/metrics").text
    assert "dataservice_cache_hits_total" in text


def test_failed_verifications_lock_the_record_without_revealing_existence(settings):
    """Five wrong factors lock a record (existing or not) for the window: 429 with Retry-After."""
    import uuid
    from dataclasses import replace

    from tests.dataservice.conftest import API_KEY

    # Its own counter namespace, so other tests can still look this application up.
    isolated = replace(settings, cache_prefix=f"lockout-{uuid.uuid4().hex[:8]}")
    with TestClient(create_app(isolated), headers={"X-API-Key": API_KEY}) as c:
        for number in ("SH2026102100537", f"SH{uuid.uuid4().int % 10**13:013d}"):
            statuses = [c.post("/v1/applications/lookup",
                               json={"application_no": number, "phone_last4": f"{i:04d}"}).status_code
                        for i in range(9000, 9006)]
            assert statuses[:5] == [404] * 5, statuses
            assert statuses[5] == 429
        locked = c.post("/v1/applications/lookup",
                        json={"application_no": "SH2026102100537", "phone_last4": "9000"})
    assert locked.json()["error"]["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0


def test_oversized_chunked_body_is_413(client: TestClient):
    def chunks():
        for _ in range(80):
            yield b" " * 1024

    r = client.post("/v1/tickets", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"


def test_timestamps_keep_their_instant_on_every_backend(client: TestClient):
    """Seeded 14:02+08:00 (moved to this week) must read back as 06:02 UTC on SQLite and PostgreSQL."""
    from datetime import date, datetime

    from dataservice.seed import read_yaml, shanghai_today
    from dataservice.seed.applications import weeks_moved

    sample = read_yaml("applications.yaml")
    row = next(a for a in sample["applications"] if a["application_no"] == "SH2026111200086")
    seeded = datetime.fromisoformat(row["submitted_at"]) + weeks_moved(
        date.fromisoformat(sample["written_as_of"]), shanghai_today())
    r = client.post("/v1/applications/lookup",
                    json={"application_no": "sh 2026 1112 00086", "phone_last4": row["phone"][-4:]})
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["submitted_at"]) == seeded
