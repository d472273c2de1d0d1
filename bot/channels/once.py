"""Each message processed once, whoever retries it: the dedupe every channel shares.

A message has a key (WeChat's MsgId, an integrator's message_id). The first request to come
claims it under a lock; retries and concurrent duplicates wait for the outcome the first stores
and answer with it, instead of processing the message again. The lock is extended while its
holder runs, so a live holder keeps it however long processing takes, while a dead replica's
lock expires after `lock_ttl` seconds and a later retry takes over.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Optional

from bot.channels.state import State, StateUnavailable

logger = logging.getLogger(__name__)


class Claim:
    """The right to process one message; `async with` keeps the lock alive and releases it."""

    def __init__(self, state: State, key: str, lock_ttl: float) -> None:
        self.state, self.key, self.lock_ttl = state, key, lock_ttl
        self.lock_key, self.token = key + ":lock", uuid.uuid4().hex
        self._keeper: Optional[asyncio.Task] = None

    async def store(self, outcome: str, ttl: float) -> None:
        """What every retry of the message is answered with, for `ttl` seconds."""
        await self.state.set(self.key, outcome, ttl)

    async def __aenter__(self) -> "Claim":
        self._keeper = asyncio.create_task(self._keep())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
        try:
            await self.state.release(self.lock_key, self.token)
        except StateUnavailable as exc:  # the answer is ready: the lock expires on its own
            logger.warning("a message's lock could not be released (%s)", exc)

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.lock_ttl / 3)
            try:
                extended = await self.state.extend(self.lock_key, self.token, self.lock_ttl)
            except Exception as exc:  # an outage: the lock may expire, the answer still goes out
                logger.warning("a message's lock could not be extended (%s)", type(exc).__name__)
                return
            if not extended:
                logger.warning("a message's lock expired while it was being processed")
                return


class Once:
    def __init__(self, state: State, lock_ttl: float) -> None:
        self.state, self.lock_ttl = state, lock_ttl

    async def claim_or_outcome(self, key: str, deadline: float) -> Claim | str | None:
        """A Claim when this caller is the first to process `key`; else the outcome the first
        stored, as soon as it is there; None when it is not there by `deadline` (monotonic)."""
        while True:
            stored = await self.state.get(key)
            if stored is not None:
                return stored
            claim = Claim(self.state, key, self.lock_ttl)
            if await self.state.set_nx(claim.lock_key, claim.token, self.lock_ttl):
                # The holder before us may have stored its outcome and released the lock between
                # our two calls: look again, or the message would be processed twice.
                stored = await self.state.get(key)
                if stored is None:
                    return claim
                await self.state.release(claim.lock_key, claim.token)
                return stored
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)
