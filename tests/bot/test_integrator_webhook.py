"""The authenticated integrator webhook (bot/channels/integrator_rest.py) against the real backend:
data service, action server and Rasa with the trained model, Redis required (rate limits, replay
protection and idempotency live there), and a callback server on loopback for async mode.
Every response is validated against docs/integrator-webhook.openapi.yaml."""
from __future__ import annotations

import asyncio
import hmac
import json
import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from urllib.parse import quote

import psycopg2
import pytest
import requests
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.channels.integrator_rest import sign
from bot.channels.state import Limits, MemoryState, RedisState, hashed
from bot.settings import IntegratorSettings as Settings
from tests.bot.conftest import ROOT, TOKEN
from tests.bot.integrator_support import (KEYS, REDIS_URL, CallbackServer, redis_client,  # noqa: F401
                                          signed_headers, start_backend, stop, validate)

@pytest.fixture(scope="module")
def callbacks():
    server = CallbackServer(fail_first=1)
    yield server
    server.close()


PG = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
LOCK_TTL = 2.0  # INTEGRATOR_IDEMPOTENCY_LOCK_TTL: a dead holder's lock is gone quickly


@pytest.fixture(scope="module")
def hook(tmp_path_factory, redis_client, callbacks):
    """The production stores: PostgreSQL tracker store (a database of this run), Redis."""
    run = uuid.uuid4().hex
    prefix, tracker_db = f"test:integrator:{run}:", f"integrator_tracker_{run[:12]}"
    with closing(psycopg2.connect(PG)) as admin:
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{tracker_db}"')
    try:
        backend, procs = start_backend(
            tmp_path_factory.mktemp("integrator"), REDIS_URL, prefix, callbacks.url,
            {"TRACKER_STORE_URL": PG.rsplit("/", 1)[0] + "/" + tracker_db,
             "INTEGRATOR_IDEMPOTENCY_LOCK_TTL": str(LOCK_TTL)})
        backend["prefix"] = prefix
        backend["url"] = backend["rasa"] + "/webhooks/rest/webhook"
        try:
            yield backend
        finally:
            stop(procs)
    finally:
        for key in redis_client.scan_iter(match=prefix + "*"):
            redis_client.delete(key)
        with closing(psycopg2.connect(PG)) as admin:
            admin.autocommit = True
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{tracker_db}" WITH (FORCE)')


def post(hook, integrator: str | None, body, headers: dict | None = None) -> requests.Response:
    h = {"Content-Type": "application/json"}
    if integrator:
        h["Authorization"] = f"Bearer {KEYS[integrator]}"
    h.update(headers or {})
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False).encode()
    return requests.post(hook["url"], data=data, headers=h, timeout=60)


def ok(r: requests.Response, status: int = 200):
    assert r.status_code == status, r.text
    body = r.json()
    validate(r.status_code, body)
    return body


def err(r: requests.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    validate(status, r.json())
    assert r.json()["error"]["code"] == code
    assert "Traceback" not in r.text


def tracker(hook, conversation_id: str) -> dict:
    r = requests.get(f"{hook['rasa']}/conversations/{quote(conversation_id, safe=':@')}/tracker",
                     params={"token": TOKEN}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def user_texts(t: dict) -> list[str]:
    return [e.get("text") for e in t["events"] if e["event"] == "user"]


# --------------------------------------------------------------------------- in-process units


def test_settings_parse_pairs_and_overrides():
    s = Settings.from_env({"INTEGRATOR_API_KEYS": "portal:K1, hotline:K2,portal:K3,broken",
                           "INTEGRATOR_CALLBACKS": "portal:https://p.example:8443/cb",
                           "INTEGRATOR_RATE_OVERRIDES": "hotline:1200/100"})
    assert s.keys == [("portal", "K1"), ("hotline", "K2"), ("portal", "K3")]
    assert s.callbacks == {"portal": "https://p.example:8443/cb"}
    assert s.overrides["hotline"].burst == 100 and s.callback_secret("portal") == "K1"
    with pytest.raises(ValueError):
        Settings.from_env({"INTEGRATOR_BURST": "-1"})


def test_memory_fallback_token_bucket_and_set_nx():
    async def run():
        state = MemoryState()
        buckets = [("i", Limits(60, 100)), ("s", Limits(60, 2))]
        assert await state.take(buckets) == 0 and await state.take(buckets) == 0
        wait = await state.take(buckets)
        assert 0 < wait <= 1.0
        assert await state.set_nx("k", "v", 10) and not await state.set_nx("k", "v", 10)
        assert await state.get("k") == "v"
    asyncio.run(run())


# --------------------------------------------------------------------------- the real webhook


def test_openapi_document_is_served(hook):
    r = requests.get(hook["rasa"] + "/webhooks/rest/openapi.yaml", timeout=10)
    assert r.status_code == 200
    doc = yaml.safe_load(r.text)
    assert doc == yaml.safe_load((ROOT / "docs" / "integrator-webhook.openapi.yaml").read_text())
    assert requests.get(hook["rasa"] + "/webhooks/rest/openapi.json", timeout=10).json() == doc


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-key"},
                                     {"Authorization": "Basic " + KEYS["portal"]},
                                     {"Authorization": "Bearer "},
                                     {"Authorization": "Bearer " + KEYS["portal"] + "x"}])
def test_missing_or_wrong_key_is_401(hook, headers):
    r = post(hook, None, {"sender": "u1", "message": "hello"}, headers)
    err(r, 401, "unauthorized")


def test_conversation_in_chinese_and_english_with_language_hint(hook):
    sender = "citizen-" + uuid.uuid4().hex[:8]
    zh = ok(post(hook, "portal", {"sender": sender, "message": "居住证要带什么材料？",
                                  "metadata": {"language": "zh"}}))
    assert zh and all(m["recipient_id"] == sender for m in zh)
    assert any("居住证" in (m.get("text") or "") for m in zh)
    en = ok(post(hook, "portal", {"sender": sender, "message": "how much does a passport cost",
                                  "metadata": {"language": "en"}}))
    assert en and en[0]["recipient_id"] == sender
    t = tracker(hook, f"rest:portal:{sender}")
    users = [e for e in t["events"] if e["event"] == "user"]
    assert [e["metadata"]["language"] for e in users] == ["zh", "en"]
    assert all(e["metadata"]["integrator"] == "portal" for e in users)
    assert t["slots"]["language"] == "en"


def test_unicode_emoji_and_sender_characters(hook):
    sender = f"user.{uuid.uuid4().hex[:6]}@app:a-b_c"
    body = ok(post(hook, "hotline", {"sender": sender, "message": "护照多少钱😀🎉"}))
    assert body and all(m["recipient_id"] == sender for m in body)
    assert "护照多少钱😀🎉" in user_texts(tracker(hook, f"rest:hotline:{sender}"))


def test_same_sender_two_integrators_are_two_conversations(hook):
    sender = "shared-" + uuid.uuid4().hex[:8]
    ok(post(hook, "portal", {"sender": sender, "message": "护照多少钱"}))
    ok(post(hook, "hotline", {"sender": sender, "message": "how long does a residence permit take"}))
    assert user_texts(tracker(hook, f"rest:portal:{sender}")) == ["护照多少钱"]
    assert user_texts(tracker(hook, f"rest:hotline:{sender}")) == ["how long does a residence permit take"]
    assert user_texts(tracker(hook, sender)) == [] == user_texts(tracker(hook, f"portal:{sender}"))


def test_signed_integrator_signature_stale_and_replay(hook):
    body = json.dumps({"sender": "s-" + uuid.uuid4().hex[:8], "message": "hello"}).encode()
    err(post(hook, "signed", body), 401, "signature_required")
    headers = signed_headers("signed", body)
    ok(post(hook, None, body, headers))
    err(post(hook, None, body, headers), 401, "replayed_request")
    err(post(hook, None, body, signed_headers("signed", body, int(time.time()) - 301)), 401,
        "stale_timestamp")
    err(post(hook, None, body, signed_headers("signed", body, int(time.time()) + 400)), 401,
        "stale_timestamp")
    tampered = body.replace(b"hello", b"hellp")
    err(post(hook, None, tampered, headers), 401, "invalid_signature")
    err(post(hook, None, body, dict(headers, **{"X-Timestamp": "abc"})), 401, "invalid_signature")
    # the signature is unique per request: a fresh timestamp is accepted again
    time.sleep(1.1)
    ok(post(hook, None, body, signed_headers("signed", body)))


@pytest.mark.parametrize("body,status,code", [
    (b"{not json", 400, "malformed_json"),
    (b"\xff\xfe\x00", 400, "malformed_json"),
    (b"", 400, "malformed_json"),
    (b"[1, 2]", 422, "invalid_request"),
    (b'"text"', 422, "invalid_request"),
    ({"message": "hi"}, 422, "invalid_sender"),
    ({"sender": 12, "message": "hi"}, 422, "invalid_sender"),
    ({"sender": "bad sender!", "message": "hi"}, 422, "invalid_sender"),
    ({"sender": "x" * 129, "message": "hi"}, 422, "invalid_sender"),
    ({"sender": "用户", "message": "hi"}, 422, "invalid_sender"),
    ({"sender": "u"}, 422, "invalid_message"),
    ({"sender": "u", "message": ["hi"]}, 422, "invalid_message"),
    ({"sender": "u", "message": ""}, 422, "empty_message"),
    ({"sender": "u", "message": " \n\u3000"}, 422, "empty_message"),
    ({"sender": "u", "message": "x" * 2001}, 413, "message_too_long"),
    ({"sender": "u", "message": "护" * 2001}, 413, "message_too_long"),
    ({"sender": "u", "message": "hi", "metadata": {"pad": "x" * 17000}}, 413, "body_too_large"),
    ({"sender": "u", "message": "hi", "metadata": "zh"}, 422, "invalid_metadata"),
    ({"sender": "u", "message": "hi", "metadata": {"language": "fr"}}, 422, "invalid_language"),
    ({"sender": "u", "message": "hi", "metadata": {"language": 1}}, 422, "invalid_language"),
    ({"sender": "u", "message": "hi", "message_id": "m" * 129}, 422, "invalid_message_id"),
    ({"sender": "u", "message": "hi", "message_id": 5}, 422, "invalid_message_id"),
    ({"sender": "u", "message": "hi", "mode": "later"}, 422, "invalid_mode"),
])
def test_bad_bodies_get_stable_error_codes(hook, body, status, code):
    err(post(hook, "hotline", body), status, code)


def test_huge_and_chunked_bodies_are_refused_without_buffering(hook):
    huge = json.dumps({"sender": "u", "message": "hi", "metadata": {"pad": "x" * 1_000_000}}).encode()
    err(post(hook, "hotline", huge), 413, "body_too_large")

    def chunks():  # no Content-Length: Transfer-Encoding: chunked
        yield b'{"sender": "u", "message": "hi", "metadata": {"pad": "'
        for _ in range(40):
            yield b"x" * 1000
        yield b'"}}'
    r = requests.post(hook["url"], data=chunks(), timeout=30,
                      headers={"Authorization": f"Bearer {KEYS['hotline']}"})
    err(r, 413, "body_too_large")

    def small():
        yield json.dumps({"sender": "chunky-" + uuid.uuid4().hex[:6]}).encode()[:-1]
        yield b', "message": "\u4f60\u597d"}'
    r = requests.post(hook["url"], data=small(), timeout=30,
                      headers={"Authorization": f"Bearer {KEYS['hotline']}"})
    ok(r)
    assert hook["rasa_proc"].poll() is None


def test_async_without_callback_is_refused(hook):
    err(post(hook, "hotline", {"sender": "u", "message": "hi", "mode": "async"}), 422,
        "async_not_configured")


def test_exactly_2000_characters_is_accepted(hook):
    ok(post(hook, "hotline", {"sender": "long-" + uuid.uuid4().hex[:6], "message": "护" * 2000}))


def test_sender_rate_limit_429_with_retry_after(hook, redis_client):
    sender = "busy-" + uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(8) as pool:
        rs = list(pool.map(lambda i: post(hook, "portal", {"sender": sender, "message": "hello"}),
                           range(9)))
    limited = [r for r in rs if r.status_code == 429]
    assert limited and len(limited) <= 4, [r.status_code for r in rs]
    for r in limited:
        err(r, 429, "rate_limited")
        assert 1 <= int(r.headers["Retry-After"]) <= 2
    assert all(r.status_code in (200, 429) for r in rs)
    # the buckets live in Redis under the test prefix
    assert redis_client.exists(f"{hook['prefix']}rl:s:portal:{hashed(sender)}")
    # another sender of the same integrator is not affected
    ok(post(hook, "portal", {"sender": "calm-" + uuid.uuid4().hex[:8], "message": "hello"}))


def test_failed_keys_lock_out_the_address_but_never_a_valid_key(hook, redis_client):
    guesser = {"X-Forwarded-For": "203.0.113.7"}
    body = {"sender": "u-af", "message": "hello"}
    codes = [post(hook, None, body, dict(guesser, Authorization=f"Bearer guess-{i}")).status_code
             for i in range(10)]
    assert codes == [401] * 8 + [429] * 2  # the burst (8), then locked out
    r = post(hook, None, body, dict(guesser, Authorization="Bearer guess-11"))
    err(r, 429, "too_many_failed_authentications")
    assert 1 <= int(r.headers["Retry-After"]) <= 10
    assert redis_client.exists(f"{hook['prefix']}af:blocked:{hashed('203.0.113.7')}")
    assert not list(redis_client.scan_iter(match=f"{hook['prefix']}*203.0.113.7*"))
    # A valid key from the same address (e.g. behind the same NAT) still passes.
    ok(post(hook, "portal", body, guesser))
    # Another client address (and its valid key) is not affected.
    ok(post(hook, "portal", body, {"X-Forwarded-For": "198.51.100.20"}))
    err(post(hook, None, body, {"X-Forwarded-For": "198.51.100.20",
                                "Authorization": "Bearer nope"}), 401, "unauthorized")

def test_integrator_rate_limit_429(hook):
    codes = [post(hook, "tiny", {"sender": f"t{i}-{uuid.uuid4().hex[:6]}", "message": "hello"})
             for i in range(3)]
    assert [r.status_code for r in codes[:2]] == [200, 200]
    err(codes[2], 429, "rate_limited")
    assert 30 <= int(codes[2].headers["Retry-After"]) <= 60


def test_idempotent_retries_concurrently_process_once(hook, redis_client):
    sender = "idem-" + uuid.uuid4().hex[:8]
    mid = "msg-" + uuid.uuid4().hex
    body = {"sender": sender, "message": "护照多少钱", "message_id": mid}
    with ThreadPoolExecutor(6) as pool:
        rs = list(pool.map(lambda i: post(hook, "portal", body), range(6)))
    assert [r.status_code for r in rs] == [200] * 6, [r.text for r in rs]
    first = ok(rs[0])
    assert all(r.json() == first for r in rs)
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in rs) == 5
    later = post(hook, "portal", body)
    assert later.json() == first and later.headers["Idempotent-Replayed"] == "true"
    assert user_texts(tracker(hook, f"rest:portal:{sender}")) == ["护照多少钱"]
    assert redis_client.exists(f"{hook['prefix']}idem:portal:{hashed(mid)}")
    err(post(hook, "portal", dict(body, message="居住证")), 422, "message_id_reused")
    # message ids are per integrator: hotline may use the same one
    ok(post(hook, "hotline", body))
    assert user_texts(tracker(hook, f"rest:hotline:{sender}")) == ["护照多少钱"]


@pytest.mark.parametrize("text,language", [("护照办理需要多少钱", "zh"),
                                           ("How much does a passport cost?", "en")])
def test_an_answer_lost_after_the_conversation_was_saved_is_not_processed_again(
        hook, redis_client, text, language):
    """A replica killed after Rasa committed the message but before the answer was recorded: its
    answer is gone from Redis and its lock is left to expire. The retry is answered from the
    conversation (PostgreSQL), with the same messages, and the message is stored once."""
    sender, mid = "lost-" + uuid.uuid4().hex[:8], "msg-" + uuid.uuid4().hex
    body = {"sender": sender, "message": text, "message_id": mid, "metadata": {"language": language}}
    first = ok(post(hook, "portal", body))
    assert first and all(m["recipient_id"] == sender for m in first)
    result_key = f"{hook['prefix']}idem:portal:{hashed(mid)}"
    assert redis_client.delete(result_key) == 1  # the answer was never recorded...
    redis_client.set(result_key + ":lock", "the-dead-replica", px=int(LOCK_TTL * 1000))  # ...its lock stays
    retry = post(hook, "portal", body)
    assert ok(retry) == first and retry.headers["Idempotent-Replayed"] == "true"
    assert user_texts(tracker(hook, f"rest:portal:{sender}")) == [text]
    again = post(hook, "portal", body)  # the answer found in the conversation is recorded now
    assert ok(again) == first and redis_client.exists(result_key)
    err(post(hook, "portal", dict(body, message="居住证")), 422, "message_id_reused")
    assert user_texts(tracker(hook, f"rest:portal:{sender}")) == [text]


@pytest.mark.parametrize("make_state", [MemoryState, lambda: RedisState(REDIS_URL)])
def test_a_lock_is_extended_and_released_only_by_its_holder(make_state):
    async def scenario() -> None:
        state, key = make_state(), f"test:integrator:lock:{uuid.uuid4().hex}"
        assert await state.set_nx(key, "holder", 0.3)
        assert not await state.extend(key, "other", 5) and await state.extend(key, "holder", 5)
        await asyncio.sleep(0.5)  # past the first lifetime: the extension kept it
        assert not await state.set_nx(key, "other", 5)
        await state.release(key, "other")
        assert await state.get(key) == "holder"
        await state.release(key, "holder")
        assert await state.get(key) is None and await state.set_nx(key, "other", 0.2)
        await asyncio.sleep(0.4)  # a dead holder's lock expires on its own
        assert await state.set_nx(key, "next", 1)
        await state.delete(key)
    asyncio.run(scenario())


def _wait_callbacks(callbacks, n: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while len(callbacks.received) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(callbacks.received) >= n, "no callback delivered"


def test_async_mode_delivers_signed_callback_with_retry(hook, callbacks):
    sender = "async-" + uuid.uuid4().hex[:8]
    accepted = ok(post(hook, "portal", {"sender": sender, "message": "how much does a passport cost",
                                        "mode": "async", "message_id": "a-" + sender}), 202)
    assert accepted["accepted"] is True and accepted["recipient_id"] == sender
    _wait_callbacks(callbacks, 1)
    got = next(c for c in callbacks.received if c["json"]["request_id"] == accepted["request_id"])
    assert callbacks.attempts >= 2 and got["headers"]["x-delivery-attempt"] != "1"  # first got a 503
    expected = sign(KEYS["portal"], got["headers"]["x-timestamp"], got["raw"])
    assert hmac.compare_digest(expected, got["headers"]["x-signature"])
    assert abs(time.time() - int(got["headers"]["x-timestamp"])) < 300
    validate(200, got["json"], "CallbackPayload")
    assert got["json"]["recipient_id"] == sender and got["json"]["messages"]
    assert all(m["recipient_id"] == sender for m in got["json"]["messages"])
    assert "passport" in json.dumps(got["json"]["messages"]).lower()


def test_always_async_integrator_gets_202(hook, callbacks):
    sender = "app-" + uuid.uuid4().hex[:8]
    before = len(callbacks.received)
    accepted = ok(post(hook, "app", {"sender": sender, "message": "护照多少钱"}), 202)
    _wait_callbacks(callbacks, before + 1)
    assert any(c["json"]["request_id"] == accepted["request_id"] for c in callbacks.received)


def test_phone_numbers_are_not_logged_in_the_clear(hook):
    ok(post(hook, "hotline", {"sender": "caller-" + uuid.uuid4().hex[:6], "message": "我的电话是13812345678"}))
    err(post(hook, "hotline", {"sender": "13812345678", "message": "hello"}), 422, "invalid_sender")
    time.sleep(0.5)
    assert "13812345678" not in hook["logs"]["rasa"].read_text(errors="replace")
    assert user_texts(tracker(hook, "rest:hotline:13812345678")) == []


# --------------------------------------------------------------------------- property-based run

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                     | st.text(max_size=20), lambda c: st.lists(c, max_size=3)
                     | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=8)
_bodies = st.one_of(
    _json.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.fixed_dictionaries(
        {"sender": st.one_of(st.from_regex(r"\A[A-Za-z0-9_.:@-]{1,130}\Z"), st.text(max_size=5), _json),
         "message": st.one_of(st.text(max_size=60), st.text(min_size=1990, max_size=2010), _json)},
        optional={"metadata": st.one_of(st.fixed_dictionaries({}, optional={
                      "language": st.sampled_from(["zh", "en", "fr", "ZH", ""]) | _json}), _json),
                  "message_id": st.one_of(st.text(min_size=0, max_size=130), _json),
                  "mode": st.sampled_from(["sync", "async", "x"]) | _json,
                  "extra": _json},
    ).map(lambda d: json.dumps(d, ensure_ascii=False).encode()),
)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=_bodies)
def test_property_no_500_and_responses_match_the_openapi_document(hook, body):
    r = post(hook, "hotline", body)
    assert r.status_code < 500, r.text
    validate(r.status_code, r.json())


# --------------------------------------------------------------------------- schemathesis (short form)

SCHEMATHESIS = ROOT / ".venv" / "dataservice" / "bin" / "schemathesis"
SCHEMATHESIS_CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
                       "response_schema_conformance,response_headers_conformance")


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(hook, tmp_path):
    """The OpenAPI document against the real Rasa (bench/channel_security.py runs the long form)."""
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", str(ROOT / "docs" / "integrator-webhook.openapi.yaml"),
         "--url", hook["rasa"], "-H", f"Authorization: Bearer {KEYS['hotline']}",
         "--max-examples", "8", "--seed", "12345", "--checks", SCHEMATHESIS_CHECKS],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)  # its .schemathesis/ cache
    assert run.returncode == 0, run.stdout[-6000:]
    assert " passed" in run.stdout and hook["rasa_proc"].poll() is None
