"""The web chat page's server side, against the channel harness (tests/bot/channel_harness.py, an
echo agent: `echo <conversation> <text>`, `!sleep <s>` to answer late): the page and its files with
their Content-Security-Policy, nothing else under /chat, and bot messages a page missed while
disconnected replayed once when it resumes its session. (The page itself in a browser:
tests/webchat/.)"""
from __future__ import annotations

import json
import re

import pytest
import requests

from bot.channels.webchat_page import ASSETS, frame_ancestors
from bot.channels.webchat_replay import Outbox
from tests.bot.conftest import ROOT
from tests.bot.integrator_support import redis_client  # noqa: F401
from tests.bot.test_channel_security import callbacks, harness, web  # noqa: F401

PINNED = json.loads((ROOT / "bot" / "webchat" / "package-lock.json").read_text())[
    "packages"]["node_modules/socket.io-client"]["version"]


def test_the_page_is_served_with_a_strict_content_security_policy(harness):
    r = requests.get(harness["base"] + "/chat", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                      "connect-src 'self'", "frame-ancestors 'self'", "base-uri 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # Every script and stylesheet is one of this server's files, relative to the page.
    sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert sorted(s for s in sources if not s.startswith("data:")) == sorted("chat/" + n for n in ASSETS)
    # The composer's limit is the channel's (SOCKETIO_MAX_MESSAGE_CHARS=600 in the harness).
    assert 'maxlength="600"' in r.text and 'content="600"' in r.text
    assert "<script>" not in r.text and not re.search(r"\son\w+=", r.text)  # no inline code


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_the_page_files_are_served_from_this_origin(harness, name):
    r = requests.get(f"{harness['base']}/chat/{name}", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"] == ASSETS[name]
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_the_vendored_client_is_the_pinned_one(harness):
    text = requests.get(harness["base"] + "/chat/vendor/socket.io.min.js", timeout=10).text
    assert f"Socket.IO v{PINNED}\n" in text[:200]
    package = json.loads((ROOT / "bot" / "webchat" / "package.json").read_text())
    assert package["dependencies"]["socket.io-client"] == PINNED  # exact, no range


@pytest.mark.parametrize("path", ["/chat/nope.js", "/chat/index.html", "/chat/..%2Fweb_socketio.py",
                                  "/chat/vendor/", "/chat/%00", "/chat/chat.js%20"])
def test_nothing_else_is_served_under_chat(harness, path):
    r = requests.get(harness["base"] + path, timeout=10)
    assert r.status_code == 404
    if r.headers.get("content-type") == "application/json":
        assert r.json()["error"] == "not_found"


def test_the_page_path_with_a_slash_and_other_methods(harness):
    r = requests.get(harness["base"] + "/chat/", allow_redirects=False, timeout=10)
    assert r.status_code == 301 and r.headers["Location"] == "../chat"  # relative: proxies with prefixes
    assert requests.post(harness["base"] + "/chat", data="x" * 100, timeout=10).status_code == 405


def test_frame_ancestors_accepts_origins_only():
    assert frame_ancestors(None) == "'self'"
    assert frame_ancestors("'self' https://www.example.gov.cn") == "'self' https://www.example.gov.cn"
    for bad in ("*", "https://a.example; script-src *", "javascript:alert(1)", "'unsafe-inline'"):
        with pytest.raises(ValueError, match="WEBCHAT_FRAME_ANCESTORS"):
            frame_ancestors(bad)


# ------------------------------------------------------------------------------ replay on resume


def test_a_reply_sent_while_the_page_was_away_arrives_once_when_it_resumes(web):
    first = web()
    token = first.token
    first.sio.emit("user_uttered", {"message": "!sleep 1", "session_id": token})
    first.sio.sleep(0.2)
    first.close()  # the connection drops before the answer
    first.sio.sleep(1.5)
    back = web(False)
    back.sio.emit("session_request", {"session_id": token, "last_seen": None})
    back.wait(back.got, 1)
    missed = back.got[0]
    assert missed["text"].endswith(" !sleep 1") and missed["seq"] == 1
    # Live messages continue the numbering; a page that has seen them gets nothing twice.
    assert back.say("after") == [f"echo web:{token.split('.')[0]} after"]
    assert back.got[-1]["seq"] == 2 and back.got[-1]["epoch"] == missed["epoch"]
    again = web(False)
    again.sio.emit("session_request", {"session_id": token, "last_seen": {"epoch": missed["epoch"],
                                                                          "seq": 1}})
    again.wait(again.got, 1)
    again.sio.sleep(0.5)
    assert [m["seq"] for m in again.got] == [2]
    other_epoch = web(False)
    other_epoch.sio.emit("session_request", {"session_id": token,
                                             "last_seen": {"epoch": "restarted", "seq": 99}})
    other_epoch.wait(other_epoch.got, 2)
    assert [m["seq"] for m in other_epoch.got] == [1, 2]


@pytest.mark.parametrize("last_seen", [None, {"epoch": None, "seq": "0"}, "x" * 500, [1, 2], 7])
def test_a_stranger_is_replayed_nothing(web, last_seen):
    owner = web()
    owner.say("private")
    stranger = web(False)
    forged = owner.token[:-1] + ("1" if owner.token.endswith("0") else "0")  # one MAC digit off
    stranger.sio.emit("session_request", {"session_id": forged, "last_seen": last_seen})
    stranger.wait(stranger.confirmed, 1)
    stranger.sio.sleep(0.5)
    assert stranger.confirmed[0] != owner.token and stranger.got == []


def test_the_outbox_is_bounded_in_size_and_time_and_leaves_messages_alone():
    now = [0.0]
    outbox = Outbox(per_conversation=3, seconds=600, conversations=2, clock=lambda: now[0])
    message = {"text": "hi"}
    numbered = [outbox.number("web:a", message) for _ in range(5)]
    assert message == {"text": "hi"} and [m["seq"] for m in numbered] == [1, 2, 3, 4, 5]
    assert [m["seq"] for m in outbox.after("web:a", None)] == [3, 4, 5]
    outbox.number("web:b", message)
    outbox.number("web:c", message)  # the least recently used conversation (a) is dropped
    assert outbox.after("web:a", None) == [] and len(outbox.after("web:b", None)) == 1
    restarted = outbox.number("web:a", message)  # a forgotten conversation starts a new numbering
    assert restarted["seq"] == 1 and restarted["epoch"] != numbered[0]["epoch"]
    assert outbox.after("web:a", {"epoch": numbered[0]["epoch"], "seq": 5}) == [restarted]
    now[0] = 601.0  # ten minutes later nothing is replayed, and nothing is kept
    assert outbox.after("web:a", None) == []
    outbox.number("web:d", message)
    assert list(outbox._kept) == ["web:d"]
