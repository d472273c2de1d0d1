"""The verification lockout holds under racing requests and fails closed when Redis is away.

A real uvicorn server, 50 simultaneous wrong factors on one record: exactly `max_failures` of them
may be evaluated (each evaluation writes one audit row), the rest get 429. With Redis unreachable
or paused, a lookup is refused with a retryable 503 and nothing is evaluated.
"""
from __future__ import annotations

import socket
import threading
import uuid
from dataclasses import replace
from typing import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dataservice.db import make_engine, make_sessionmaker
from dataservice.main import create_app
from dataservice.models import AuditLog

from .conftest import API_KEY
from .live import fire, free_port, running_server
from .test_applications import APPS

LIMIT = 5  # FailedAttemptLimiter's default max_failures
RACERS = 50
KNOWN_APPLICATION = "SH2026102100537"


def _unique_digits(n: int) -> str:
    return f"{uuid.uuid4().int % 10**n:0{n}d}"


# (path, body with a wrong factor for a fresh record, that record's audit reference)
def _application():
    number = "SH" + _unique_digits(13)
    return "/v1/applications/lookup", {"application_no": number, "phone_last4": "0000"}, number


def _booking(path: str):
    def make():
        number = "B" + uuid.uuid4().hex[:12].upper()
        return path, {"booking_no": number, "phone_last4": "0000"}, number
    return make


def _utility():
    account = _unique_digits(12)
    return ("/v1/utilities/bills/lookup",
            {"kind": "water", "account_no": account, "verification": "0000"}, f"water:{account}")


LOOKUPS = {"application": _application, "booking_lookup": _booking("/v1/appointments/lookup"),
           "booking_cancel": _booking("/v1/appointments/cancel"), "utility": _utility}


def _isolated(settings, **changes):
    # Its own counter namespace: the records other tests look up stay unlocked.
    return replace(settings, cache_prefix=f"lockout-{uuid.uuid4().hex[:8]}", **changes)


def _audit_count(settings, record_ref: str) -> int:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalar(select(func.count()).select_from(AuditLog)
                                  .where(AuditLog.record_ref == record_ref))
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["redis", "embedded"])
def limiter_settings(request, settings):
    """Each backend (SQLite, PostgreSQL) with the Redis limiter and with the in-process one."""
    return _isolated(settings) if request.param == "redis" else _isolated(settings, redis_url=None)


@pytest.fixture(scope="module")
def base_url(limiter_settings) -> Iterator[str]:
    with running_server(create_app(limiter_settings)) as url:
        yield url


@pytest.mark.parametrize("lookup", LOOKUPS)
def test_fifty_racing_wrong_factors_evaluate_exactly_the_limit(base_url, limiter_settings, lookup):
    path, body, ref = LOOKUPS[lookup]()
    responses = fire(base_url, path, [(body, {})] * RACERS)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [404] * LIMIT + [429] * (RACERS - LIMIT), statuses
    assert _audit_count(limiter_settings, ref) == LIMIT
    locked = next(r for r in responses if r.status_code == 429)
    assert locked.json()["error"]["code"] == "too_many_attempts"


def test_a_locked_record_refuses_even_the_right_factor(base_url):
    right = APPS[KNOWN_APPLICATION]["phone"][-4:]
    wrong = "0000" if right != "0000" else "1111"
    responses = fire(base_url, "/v1/applications/lookup",
                     [({"application_no": KNOWN_APPLICATION, "phone_last4": wrong}, {})] * RACERS)
    assert sum(r.status_code == 404 for r in responses) == LIMIT
    r = httpx.post(f"{base_url}/v1/applications/lookup", headers={"X-API-Key": API_KEY},
                   json={"application_no": KNOWN_APPLICATION, "phone_last4": right})
    assert r.status_code == 429, r.text


def test_a_verified_attempt_gives_its_place_back(limiter_settings):
    """Four wrong factors, then the citizen's right one: a fifth wrong factor is still evaluated."""
    right = APPS[KNOWN_APPLICATION]["phone"][-4:]
    wrong = [f"{i:04d}" for i in range(9000, 9010) if f"{i:04d}" != right]
    with TestClient(create_app(_isolated(limiter_settings)),
                    headers={"X-API-Key": API_KEY}) as c:
        def look(factor: str) -> int:
            return c.post("/v1/applications/lookup",
                          json={"application_no": KNOWN_APPLICATION,
                                "phone_last4": factor}).status_code

        assert [look(f) for f in wrong[:4]] == [404] * 4
        assert look(right) == 200
        assert look(wrong[4]) == 404
        assert look(right) == 429


@pytest.fixture()
def silent_redis() -> Iterator[str]:
    """A 'paused' Redis: accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=5)
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.fixture()
def refused_redis() -> str:
    """Nothing listens on this port: connections are refused."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.mark.parametrize("outage", ["silent_redis", "refused_redis"])
@pytest.mark.parametrize("lookup", LOOKUPS)
def test_redis_outage_refuses_the_lookup_unevaluated(request, settings, outage, lookup):
    down = _isolated(settings, redis_url=request.getfixturevalue(outage))
    path, body, ref = LOOKUPS[lookup]()
    with TestClient(create_app(down), headers={"X-API-Key": API_KEY}) as c:
        r = c.post(path, json=body)
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "verification_unavailable"
    assert int(r.headers["Retry-After"]) > 0
    assert _audit_count(settings, ref) == 0


def test_redis_outage_refuses_even_the_right_factor(settings, silent_redis):
    down = _isolated(settings, redis_url=silent_redis)
    right = APPS[KNOWN_APPLICATION]["phone"][-4:]
    with TestClient(create_app(down), headers={"X-API-Key": API_KEY}) as c:
        r = c.post("/v1/applications/lookup",
                   json={"application_no": KNOWN_APPLICATION, "phone_last4": right})
    assert r.status_code == 503, r.text
