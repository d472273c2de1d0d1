"""Helpers for the WeChat channel tests: WeChat's side of the protocol (wechatpy signs and
encrypts requests and decrypts our replies), a fake WeChat API server on loopback, and a Rasa
server started with the channel configured by environment."""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, Optional

import pytest
import redis
import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bench.processes import free_port, stop
from tests.bot.conftest import TOKEN, start_rasa

WX_TOKEN = "wx-test-token"
APP_ID = "wx0123456789abcdef"
APP_SECRET = "wx-test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ACCOUNT = "gh_test_account"


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as e:
        pytest.fail(f"Redis is required at {REDIS_URL}: {e}")


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def text_xml(openid: str, content: str, msg_id: Optional[int] = None,
             create_time: Optional[int] = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id or uuid.uuid4().int % 10**16}</MsgId></xml>")


def event_xml(openid: str, event: str, key: str = "", create_time: Optional[int] = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
            f"<EventKey><![CDATA[{key}]]></EventKey></xml>")


def other_xml(openid: str, msg_type: str, fields: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{fields}"
            f"<MsgId>{uuid.uuid4().int % 10**16}</MsgId></xml>")


class WeChat:
    """What WeChat's servers do: sign (and in safe mode encrypt) each push; read our reply."""

    def __init__(self, url: str, token: str = WX_TOKEN, aes_key: str = "", app_id: str = APP_ID):
        self.url = url
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    def params(self, timestamp: Optional[int] = None, nonce: Optional[str] = None) -> dict:
        timestamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or uuid.uuid4().hex[:10]
        return {"signature": sign(self.token, timestamp, nonce), "timestamp": timestamp,
                "nonce": nonce, "openid": "x"}

    def build(self, xml: str, timestamp: Optional[int] = None) -> tuple:
        params = self.params(timestamp)
        body = xml.encode("utf-8")
        if self.crypto is not None:
            envelope = xmltodict.parse(self.crypto.encrypt_message(xml, params["nonce"],
                                                                   params["timestamp"]))["xml"]
            params["encrypt_type"] = "aes"
            params["msg_signature"] = envelope["MsgSignature"]
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>").encode()
        return params, body

    def post(self, xml: str, timeout: float = 30, **kw) -> requests.Response:
        params, body = self.build(xml, **kw)
        return requests.post(self.url, params=params, data=body, timeout=timeout,
                             headers={"Content-Type": "text/xml"})

    def read(self, r: requests.Response) -> Optional[dict]:
        """The reply as a dict (decrypted in safe mode), None for `success`."""
        assert r.status_code == 200, (r.status_code, r.text)
        if r.text in ("success", ""):
            return None
        if self.crypto is not None:
            outer = xmltodict.parse(r.text)["xml"]
            plain = self.crypto.decrypt_message(r.text, outer["MsgSignature"], outer["TimeStamp"],
                                                outer["Nonce"])
            return xmltodict.parse(plain)["xml"]
        return xmltodict.parse(r.text)["xml"]

    def say(self, openid: str, text: str, **kw) -> Optional[str]:
        reply = self.read(self.post(text_xml(openid, text), **kw))
        return reply["Content"] if reply else None


class FakeWeChatAPI:
    """The WeChat API on loopback: /cgi-bin/token and /cgi-bin/message/custom/send."""

    def __init__(self) -> None:
        self.token_fetches = 0
        self.sent: list[dict] = []
        self.bad_token = 0
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _json(self, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/cgi-bin/token":
                    if q.get("appid") != APP_ID or q.get("secret") != APP_SECRET:
                        return self._json({"errcode": 40013, "errmsg": "invalid appid"})
                    with api.lock:
                        api.token_fetches += 1
                    return self._json({"access_token": "ACCESS-TOKEN-1", "expires_in": 7200})
                self.send_response(404)
                self.end_headers()

            def do_POST(self):
                url = urllib.parse.urlparse(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path == "/cgi-bin/message/custom/send":
                    if q.get("access_token") != "ACCESS-TOKEN-1":
                        with api.lock:
                            api.bad_token += 1
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    with api.lock:
                        api.sent.append(json.loads(body))
                    return self._json({"errcode": 0, "errmsg": "ok"})
                self.send_response(404)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def messages_for(self, openid: str) -> list[str]:
        with self.lock:
            return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]

    def wait_for(self, openid: str, n: int = 1, seconds: float = 60) -> list[str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.messages_for(openid)
            if len(got) >= n:
                return got
            time.sleep(0.1)
        return self.messages_for(openid)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def rasa_server(tmp: Path, base_env: dict, extra_env: dict, name: str) -> Iterator[dict]:
    """A Rasa server (trained model, bot/credentials.yml, bot/endpoints.yml) on a free port."""
    env = dict(base_env, **extra_env)
    port = free_port()
    log = tmp / f"rasa-{name}.log"
    proc = start_rasa(env, port, log)
    try:
        base = f"http://127.0.0.1:{port}"
        yield {"rasa": base, "webhook": base + "/webhooks/wechat/webhook", "proc": proc,
               "log": log, "env": env}
    finally:
        stop([proc])


def user_events(rasa: str, openid: str) -> list[dict]:
    """The user events of the WeChat user's conversation (`wechat:<openid>`)."""
    r = requests.get(f"{rasa}/conversations/wechat:{openid}/tracker", params={"token": TOKEN},
                     timeout=30)
    assert r.status_code == 200, r.text
    return [e for e in r.json().get("events") or [] if e.get("event") == "user"]
