"""Delivering what an agent does to the citizen: the console asks Rasa (any replica, through the
load balancer) to say it on the conversation's own channel; bot/channels/agent_relay.py does it.

Kinds: `join` (an agent took the conversation), `reply` (the agent's text), `end` (Rasa resumes
the conversation and the assistant says it is back).
"""
from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from signing.relay import sign

logger = logging.getLogger(__name__)
PATH = "/webhooks/agent_relay/send"


class RelayError(Exception):
    """Rasa did not take the message: nothing was delivered (the agent may try again)."""


class Relay:
    def __init__(self, url: str, secret: str, transport: httpx.BaseTransport | None = None) -> None:
        self.secret = secret
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=10.0, transport=transport)

    def send(self, kind: str, conversation_id: str, language: str, agent: dict[str, Any],
             text: str | None = None, reply_id: str | None = None) -> None:
        body = json.dumps({"kind": kind, "conversation_id": conversation_id, "language": language,
                           "agent": agent, "text": text, "reply_id": reply_id},
                          ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **sign(self.secret, body)}
        try:
            response = self.client.post(PATH, content=body, headers=headers)
        except httpx.HTTPError as exc:
            logger.warning("agent relay unreachable (%s)", type(exc).__name__)
            raise RelayError() from exc
        if response.status_code >= 300:
            logger.warning("agent relay refused %s: %s", kind, response.status_code)
            raise RelayError()
