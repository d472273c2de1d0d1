"""What the channel connectors themselves guarantee (docs/security.md, "Channels"), over real HTTP
and socket.io against the connectors served by tests/bot/channel_harness.py with the real Redis:
conversations separated by channel, server-issued web sessions, limits, strict input, outages.
The stand-in agent answers `echo <conversation id> <text>`, so each test sees exactly which
conversation a message reached; `!fail` makes it raise as Rasa does when the tracker store's
database is down. (The same connectors on the real Rasa: test_integrator_webhook.py,
test_wechat.py, test_e2e.py.)"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pytest
import requests
import socketio

from bot.channels.web_socketio import SessionTokens, WebSocketIOInput
from tests.bot.channel_harness import harness_server, oversized_post
from tests.bot.conftest import ROOT
from tests.bot.integrator_support import REDIS_URL, CallbackServer, redis_client, validate  # noqa: F401
from tests.bot.wechat_support import WX_TOKEN, WeChat, text_xml

KEY = "harness-portal-key"
OUTAGE_ZH, OUTAGE_EN = "12345 市民服务热线", "call the 12345 citizen hotline"


@pytest.fixture(scope="module")
def callbacks():
    server = CallbackServer(fail_first=0)
    yield server
    server.close()


@pytest.fixture(scope="module")
def harness(tmp_path_factory, redis_client, callbacks):
    run = uuid.uuid4().hex
    prefixes = {name: f"test:{name}:{run}:" for name in ("integrator", "wechat", "socketio")}
    env = dict(os.environ, PYTHONPATH=str(ROOT), REDIS_URL=REDIS_URL, SANIC_PROXIES_COUNT="1",
               INTEGRATOR_API_KEYS=f"portal:{KEY}", INTEGRATOR_REDIS_PREFIX=prefixes["integrator"],
               INTEGRATOR_CALLBACKS=f"portal:{callbacks.url}", INTEGRATOR_CALLBACK_BACKOFF="0.1",
               INTEGRATOR_SENDER_RATE_PER_MINUTE="600", INTEGRATOR_SENDER_BURST="100",
               INTEGRATOR_AUTH_FAILURES_PER_MINUTE="6", INTEGRATOR_AUTH_FAILURE_BURST="8",
               WECHAT_TOKEN=WX_TOKEN, WECHAT_REDIS_PREFIX=prefixes["wechat"].rstrip(":"),
               WECHAT_RATE_PER_MINUTE="6", WECHAT_BURST="3", WECHAT_MAX_MESSAGE_CHARS="600",
               SOCKETIO_REDIS_PREFIX=prefixes["socketio"], SOCKETIO_SESSION_SECRET="harness-secret",
               SOCKETIO_SESSION_RATE_PER_MINUTE="6", SOCKETIO_SESSION_BURST="3",
               SOCKETIO_ADDRESS_RATE_PER_MINUTE="6", SOCKETIO_ADDRESS_BURST="5",
               SOCKETIO_MAX_MESSAGE_CHARS="600")
    log = tmp_path_factory.mktemp("harness") / "harness.log"
    try:
        with harness_server(env, log) as (proc, port, base):
            yield {"base": base, "port": port, "proc": proc, "log": log, "prefixes": prefixes}
    finally:
        for prefix in prefixes.values():
            for key in redis_client.scan_iter(match=prefix + "*"):
                redis_client.delete(key)


def rss_kb(proc: subprocess.Popen) -> int:
    with open(f"/proc/{proc.pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def address() -> dict:
    """A client address of its own (the harness trusts one proxy hop), so tests do not share limits."""
    # IPv6 documentation prefix: 250 IPv4 values collided between tests of one run (shared buckets)
    return {"X-Forwarded-For": f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"}


# ------------------------------------------------------------------------------ in-process units


def test_session_tokens_verify_only_what_this_secret_issued():
    tokens, other = SessionTokens("secret-a"), SessionTokens("secret-b")
    token = tokens.issue()
    session = token.split(".")[0]
    assert tokens.session_of(token) == session and len(session) == 32
    assert other.session_of(token) is None  # another deployment's (or a guessed) token
    assert tokens.session_of(session + "." + "0" * 32) is None
    assert tokens.session_of(token.upper()) is None and tokens.session_of(None) is None
    assert tokens.issue() != token


def test_production_refuses_the_development_session_secret():
    with pytest.raises(ValueError, match="SOCKETIO_SESSION_SECRET"):
        WebSocketIOInput(env={"DEPLOYMENT_ENV": "production"})
    WebSocketIOInput(env={"DEPLOYMENT_ENV": "production", "SOCKETIO_SESSION_SECRET": "x" * 32})
    WebSocketIOInput(env={})  # development: the development secret is fine


# ------------------------------------------------------------------------------ socket.io


class Web:
    """A web chat widget: connects, asks for a session, says things, collects bot_uttered."""

    def __init__(self, harness, session: object = None, headers: dict | None = None) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.got: list[dict] = []
        self.confirmed: list = []
        self.sio.on("bot_uttered", self.got.append)
        self.sio.on("session_confirm", self.confirmed.append)
        self.sio.connect(harness["base"], socketio_path="/socket.io", transports=["polling"],
                         headers=headers or address(), wait_timeout=20)
        if session is not False:
            self.sio.emit("session_request", {"session_id": session})
            self.wait(self.confirmed, 1)

    @property
    def token(self) -> str:
        return self.confirmed[-1]

    def say(self, message: object, session_id: object = None, n: int = 1) -> list[str]:
        before = len(self.got)
        self.sio.emit("user_uttered", {"message": message, "session_id": session_id or self.token})
        self.wait(self.got, before + n)
        return [m.get("text", "") for m in self.got[before:]]

    def wait(self, items: list, n: int, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while len(items) < n and time.monotonic() < deadline:
            self.sio.sleep(0.05)
        assert len(items) >= n, f"expected {n} events, got {items}"

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture
def web(harness):
    clients: list[Web] = []

    def make(*args, **kwargs) -> Web:
        clients.append(Web(harness, *args, **kwargs))
        return clients[-1]
    yield make
    for c in clients:
        c.close()


def test_socketio_session_ids_are_issued_by_the_server(web):
    victim = "rest:portal:citizen-42"
    attacker = web(session=victim)
    assert attacker.token != victim and len(attacker.token) == 65
    session = attacker.token.split(".")[0]
    # the session_id inside user_uttered is ignored too: the socket's own session decides
    assert attacker.say("/affirm", session_id=victim) == [f"echo web:{session} /affirm"]
    assert attacker.say("hello", session_id="portal:citizen-42") == [f"echo web:{session} hello"]


def test_socketio_forged_or_foreign_tokens_get_a_new_session(web):
    owner = web()
    forged = owner.token[:-1] + ("0" if owner.token[-1] != "0" else "1")
    for claimed in (forged, owner.token.split(".")[0], "x" * 65, 42, {"a": 1}, "\ud800" * 65):
        other = web(session=claimed)
        assert other.token != owner.token and other.token.split(".")[0] != owner.token.split(".")[0]


def test_socketio_only_the_token_holder_resumes_and_reads_a_conversation(web):
    owner = web()
    session = owner.token.split(".")[0]
    stranger = web()  # a session of its own, on the same server
    assert owner.say("护照多少钱") == [f"echo web:{session} 护照多少钱"]
    stranger.sio.sleep(0.3)
    assert stranger.got == []  # the owner's replies never reach another session
    resumed = web(session=owner.token)  # e.g. the same browser after a reload
    assert resumed.token == owner.token
    assert resumed.say("how much is a passport") == [f"echo web:{session} how much is a passport"]


def test_socketio_message_length_limit_is_answered_politely(web):
    client = web()
    assert client.say("护" * 600) == [f"echo web:{client.token.split('.')[0]} {'护' * 600}"]
    reply = client.say("护" * 601)[0]
    assert "消息太长" in reply and "too long" in reply and "600" in reply


def test_socketio_rate_limit_per_session(web):
    client = web()
    replies = [client.say(f"hello {i}")[0] for i in range(4)]
    assert all(r.startswith("echo web:") for r in replies[:3])
    assert "太快" in replies[3] and "too quickly" in replies[3]


def test_socketio_rate_limit_per_address_across_sessions(web):
    same_place = address()
    replies = []
    for i in range(3):  # three sessions from one address, two messages each (session burst is 3)
        client = web(headers=same_place)
        replies += [client.say(f"hi {i}.{j}")[0] for j in range(2)]
    assert [r.startswith("echo web:") for r in replies] == [True] * 5 + [False]
    assert "too quickly" in replies[5]


@pytest.mark.parametrize("message", ["bad \ud800 text", "nul \x00 here", ["list"], {"x": 1}])
def test_socketio_unreadable_messages_are_answered_not_processed(web, message):
    reply = web().say(message)[0]
    assert "无法识别" in reply and "could not be read" in reply


def test_socketio_outage_gets_the_hotline_in_both_languages(web):
    reply = web().say("!fail")[0]
    assert OUTAGE_ZH in reply and OUTAGE_EN in reply


def test_socketio_oversized_packets_and_bodies_are_refused(harness, web):
    client = web()
    assert "too long" in client.say("x" * 15_000)[0]  # under the 16 KB packet limit: read, refused
    client.sio.emit("user_uttered", {"message": "x" * 20_000, "session_id": client.token})
    client.sio.sleep(1.5)
    assert len(client.got) == 1  # over it: engine.io drops the packet unread, nothing is answered
    before = rss_kb(harness["proc"])
    for _ in range(6):  # polling POSTs declaring 95 MB: refused before the body is read
        status, seconds, closed = oversized_post(
            harness["port"], "/socket.io/?EIO=4&transport=polling&sid=x", 95_000_000)
        assert status == 413 and seconds < 5 and closed
    assert rss_kb(harness["proc"]) - before < 20_000


# ------------------------------------------------------------------------------ WeChat


@pytest.fixture
def wx(harness) -> WeChat:
    return WeChat(harness["base"] + "/webhooks/wechat/webhook")


def openid() -> str:
    return "oWx" + uuid.uuid4().hex[:25]


def test_wechat_conversations_are_namespaced_and_cannot_name_another_channel(wx):
    user = openid()
    assert wx.say(user, "护照多少钱") == f"echo wechat:{user} 护照多少钱"
    for forged in ("portal:citizen-42", "rest:portal:citizen-42", "web:abc", "o" * 65, "a b"):
        r = wx.post(text_xml(forged, "/affirm"))
        assert r.status_code == 400 and "echo" not in r.text


def test_wechat_unsigned_huge_bodies_are_refused_unread(harness):
    before = rss_kb(harness["proc"])
    for _ in range(6):
        status, seconds, closed = oversized_post(harness["port"], "/webhooks/wechat/webhook",
                                                 95_000_000)
        assert status == 403 and seconds < 5 and closed  # refused, then not drained either
    assert rss_kb(harness["proc"]) - before < 20_000


def test_wechat_signed_bodies_over_the_limit_are_refused(harness, wx):
    query = "&".join(f"{k}={v}" for k, v in wx.params().items())
    assert oversized_post(harness["port"], f"/webhooks/wechat/webhook?{query}", 95_000_000)[::2] == (
        413, True)

    def chunks():  # no Content-Length: read incrementally and cut off at 16 KB
        yield text_xml(openid(), "hi").encode()[:-6]
        for _ in range(40):
            yield b" " * 1000
        yield b"</xml>"
    r = requests.post(wx.url, params=wx.params(), data=chunks(), timeout=30)
    assert r.status_code == 413


def test_wechat_url_verification_checks_the_timestamp_window(wx):
    fresh = wx.params()
    assert requests.get(wx.url, params=dict(fresh, echostr="hello"), timeout=10).text == "hello"
    for ts in (int(time.time()) - 301, int(time.time()) + 400):
        stale = wx.params(timestamp=ts)
        r = requests.get(wx.url, params=dict(stale, echostr="hello"), timeout=10)
        assert r.status_code == 403 and r.text != "hello"


def test_wechat_length_and_rate_limits_answer_politely(wx):
    user = openid()
    too_long = wx.say(user, "护" * 601)
    assert "消息太长" in too_long and "too long" in too_long
    replies = [wx.say(user, f"问题 {i}") for i in range(4)]
    assert all(r.startswith(f"echo wechat:{user}") for r in replies[:3])
    assert "太快" in replies[3] and "too quickly" in replies[3]


def test_wechat_outage_gets_the_hotline_in_both_languages(wx):
    reply = wx.say(openid(), "!fail")
    assert OUTAGE_ZH in reply and OUTAGE_EN in reply


# ------------------------------------------------------------------------------ integrator webhook


def rest(harness, body, headers: dict | None = None, method: str = "POST",
         path: str = "/webhooks/rest/webhook") -> requests.Response:
    h = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    h.update(address() if headers is None else headers)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body).encode()
    return requests.request(method, harness["base"] + path, data=data, headers=h, timeout=30)


def rest_error(r: requests.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    validate(status, r.json(), "Error")
    assert r.json()["error"]["code"] == code


def nested(depth: int) -> dict:
    value: object = "x"
    for _ in range(depth):
        value = {"a": value}
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("body,code", [
    (b"[" * 8000, "invalid_request"),
    ({"sender": "u1", "message": "hi", "metadata": nested(950)}, "invalid_metadata"),
    ({"sender": "u1", "message": "hi", "metadata": nested(9)}, "invalid_metadata"),
    ({"sender": "u1", "message": "hi", "extra": nested(12)}, "invalid_request"),
    ({"sender": "u1\n", "message": "hi"}, "invalid_sender"),
    ({"sender": "u1", "message": "hi", "metadata": {"language": "english"}}, "invalid_language"),
    ({"sender": "u1", "message": "hi", "metadata": {"language": "EN"}}, "invalid_language"),
    ({"sender": "u1", "message": "hi", "metadata": {"language": "zh-CN"}}, "invalid_language"),
    ({"sender": "u1", "message": "hi \ud800"}, "invalid_message"),
    ({"sender": "u1", "message": "hi \x00"}, "invalid_message"),
    ({"sender": "u1", "message": "hi", "message_id": "m-\udc00"}, "invalid_message_id"),
    ({"sender": "u1", "message": "hi \ud800", "message_id": "m-1"}, "invalid_message"),
    ({"sender": "u1", "message": "hi", "metadata": {"k\x00": "v"}}, "invalid_metadata"),
    ({"sender": "u1", "message": "hi", "metadata": {"x": ["\ud83d"]}}, "invalid_metadata"),
    ({"sender": "13812345678", "message": "hi"}, "invalid_sender"),
    ({"sender": "tel-13812345678", "message": "hi"}, "invalid_sender"),
    ({"sender": "id-31010119900101123X", "message": "hi"}, "invalid_sender"),
])
def test_integrator_strict_input_is_422_json(harness, body, code):
    rest_error(rest(harness, body), 422, code)


def test_integrator_every_route_answers_json_errors(harness):
    for method, path in (("GET", "/webhooks/rest/webhook"), ("PUT", "/webhooks/rest/webhook"),
                         ("DELETE", "/webhooks/rest/webhook"), ("POST", "/webhooks/rest/openapi.yaml"),
                         ("POST", "/webhooks/rest/")):
        r = rest(harness, b"", method=method, path=path)
        rest_error(r, 405, "method_not_allowed")
        assert r.headers["Allow"] in ("POST", "GET")
    for method, path in (("GET", "/webhooks/rest/anything"), ("POST", "/webhooks/rest/a/b/c"),
                         ("POST", "/webhooks/rest/webhook/")):
        rest_error(rest(harness, b"{}", method=method, path=path), 404, "not_found")


def test_integrator_conversation_ids_carry_the_channel(harness):
    r = rest(harness, {"sender": "citizen-42", "message": "hi"})
    assert r.json() == [{"recipient_id": "citizen-42", "text": "echo rest:portal:citizen-42 hi"}]


def test_integrator_idempotency_keys_are_hashed_and_replies_redacted(harness, redis_client):
    mid, sender = "msg-" + uuid.uuid4().hex, "idem-" + uuid.uuid4().hex[:8]
    body = {"sender": sender, "message": "身份证 310101199001011234 电话 13812345678", "message_id": mid}
    first = rest(harness, body)
    assert first.status_code == 200 and "310101199001011234" in first.text  # the live reply is whole
    replay = rest(harness, body)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert "310101199001011234" not in replay.text and "13812345678" not in replay.text
    assert "3101************34" in replay.text and "138******78" in replay.text
    prefix = harness["prefixes"]["integrator"]
    keys = [k.decode() for k in redis_client.scan_iter(match=prefix + "*")]
    assert keys and not any(mid in k or sender in k for k in keys)
    values = [redis_client.get(k) or b"" for k in keys if redis_client.type(k) == b"string"]
    assert not any(b"310101199001011234" in v or b"13812345678" in v for v in values)


def test_integrator_outage_sync_is_503_and_not_cached(harness):
    body = {"sender": "out-" + uuid.uuid4().hex[:8], "message": "!fail", "message_id": uuid.uuid4().hex}
    for _ in range(2):
        r = rest(harness, body)
        rest_error(r, 503, "processing_failed")
        assert "Idempotent-Replayed" not in r.headers
        # the polite reply in both languages (no language hint), for a citizen-facing integrator
        assert OUTAGE_ZH in r.json()["error"]["message"] and OUTAGE_EN in r.json()["error"]["message"]
    english = rest(harness, dict(body, message_id=uuid.uuid4().hex, metadata={"language": "en"}))
    rest_error(english, 503, "processing_failed")
    assert OUTAGE_EN in english.text and OUTAGE_ZH not in english.text


def test_integrator_outage_async_delivers_the_hotline_and_releases_the_message_id(harness, callbacks):
    mid = uuid.uuid4().hex
    body = {"sender": "async-" + uuid.uuid4().hex[:8], "message": "!fail", "message_id": mid,
            "mode": "async", "metadata": {"language": "en"}}
    accepted = rest(harness, body)
    assert accepted.status_code == 202
    request_id = accepted.json()["request_id"]
    deadline = time.monotonic() + 20
    while not any(c["json"]["request_id"] == request_id for c in callbacks.received):
        assert time.monotonic() < deadline, "no callback"
        time.sleep(0.1)
    got = next(c["json"] for c in callbacks.received if c["json"]["request_id"] == request_id)
    validate(200, got, "CallbackPayload")
    assert got["error"]["code"] == "processing_failed"
    assert OUTAGE_EN in got["messages"][0]["text"]
    again = rest(harness, body)  # the 202 was not kept as the answer: the retry is processed anew
    assert again.status_code == 202 and "Idempotent-Replayed" not in again.headers
    assert again.json()["request_id"] != request_id


def test_integrator_valid_key_passes_while_bad_keys_are_locked_out(harness):
    shared = address()  # e.g. one NAT: a guesser and a legitimate integrator
    bad = dict(shared, Authorization="Bearer guess")
    codes = [rest(harness, {"sender": "u", "message": "hi"}, bad).status_code for _ in range(10)]
    assert codes == [401] * 8 + [429] * 2
    for _ in range(5):  # bad keys stay locked out; the valid key is never refused
        rest_error(rest(harness, {"sender": "u", "message": "hi"}, bad), 429,
                   "too_many_failed_authentications")
        assert rest(harness, {"sender": "u", "message": "hi"}, shared).status_code == 200


def test_integrator_huge_bodies_are_refused_unread_even_without_a_key(harness):
    for headers, status in (("", 401), (f"Authorization: Bearer {KEY}\r\n", 413)):
        got, seconds, closed = oversized_post(harness["port"], "/webhooks/rest/webhook", 95_000_000,
                                              headers=headers + "X-Forwarded-For: 192.0.2.9\r\n")
        assert (got, closed) == (status, True) and seconds < 5
