"""The signature on what the console asks Rasa to deliver (agent replies, join, end).

The console signs (console/handoff/relay.py), Rasa's agent relay channel checks
(bot/channels/agent_relay.py). HMAC-SHA256 over "<unix time>.<body>", fresh for 5 minutes.
"""
from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Relay-Timestamp"
SIGNATURE_HEADER = "X-Relay-Signature"
WINDOW_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: mac}


def valid(secret: str, body: bytes, timestamp: str | None, signature: str | None,
          now: float | None = None) -> bool:
    if not timestamp or not signature or not timestamp.isdigit() or len(signature) != 64:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > WINDOW_SECONDS:
        return False
    expected = sign(secret, body, int(timestamp))[SIGNATURE_HEADER]
    return hmac.compare_digest(expected.encode(), signature.encode())
