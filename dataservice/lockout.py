"""Limits verification attempts per record, atomically, and fails closed.

A verification factor of four digits has only 10,000 values: without a limit anyone could walk
through them. Each attempt first *reserves* one of `max_failures` places on its record in a single
atomic step (one Redis Lua script, or under a lock in the embedded default); only an attempt holding
a place is evaluated, so however many requests race, at most `max_failures` wrong factors are ever
checked within `window` seconds. A verified attempt gives its place back; a failed one keeps it.
Once every place is taken, further attempts get 429 until the window passes. Unknown records count
too, so a 429 never tells whether a number exists.

If the counter store cannot be reached, the attempt is refused with a retryable 503 rather than
evaluated without a limit: a Redis outage must not reopen the door to guessing.

The embedded counters (no REDIS_URL) live in one process: with several workers and no Redis each
worker has its own, which is why a production deployment sets REDIS_URL. With Redis, the limiter
uses the process's one asyncio client (dataservice/redis_client.py), shared with the cache.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, AsyncIterator

from dataservice.errors import ApiError

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

RETRY_AFTER_OUTAGE_SECONDS = 30

# KEYS[1] counter; ARGV[1] limit, ARGV[2] window. Returns the places taken, or -1 when locked.
_RESERVE = """
local taken = tonumber(redis.call('GET', KEYS[1]) or '0')
if taken >= tonumber(ARGV[1]) then return -1 end
taken = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return taken
"""
# Gives one place back, never below zero (the key may have expired meanwhile).
_RELEASE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


class Attempt:
    """Handed to the caller while its attempt holds a place; `verified()` gives the place back."""

    def __init__(self) -> None:
        self.ok = False

    def verified(self) -> None:
        self.ok = True


class FailedAttemptLimiter:
    def __init__(self, redis: Redis | None, prefix: str, max_failures: int = 5,
                 window: int = 900):
        """`redis`: the process's shared client (its owner closes it), or None for the embedded
        counters."""
        self.max_failures, self.window, self.prefix = max_failures, window, prefix
        self._redis = redis
        if redis is not None:
            self._reserve_script = redis.register_script(_RESERVE)
            self._release_script = redis.register_script(_RELEASE)
        self._local: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _key(self, scope: str, ref: str) -> str:
        # Hash the reference: Redis keys show up in monitoring tools.
        digest = hashlib.sha256(f"{scope}:{ref}".encode()).hexdigest()[:32]
        return f"{self.prefix}:fail:{digest}"

    @asynccontextmanager
    async def attempt(self, scope: str, ref: str) -> AsyncIterator[Attempt]:
        """Hold a place for one verification of `ref`: 429 when none is left, 503 on an outage.

        The place is kept (counted as a failure) unless the body calls `attempt.verified()`.
        """
        key = self._key(scope, ref)
        if not await self._reserve(key):
            raise ApiError(429, "too_many_attempts",
                           "Too many failed verification attempts for this record; try again later.",
                           headers={"Retry-After": str(self.window)})
        current = Attempt()
        try:
            yield current
        finally:
            if current.ok:
                await self._release(key)

    async def _reserve(self, key: str) -> bool:
        if self._redis is None:
            with self._lock:
                now = time.monotonic()
                expires, taken = self._local.get(key, (0.0, 0))
                if expires <= now:
                    expires, taken = now + self.window, 0
                if taken >= self.max_failures:
                    return False
                self._local[key] = (expires, taken + 1)
                return True
        try:
            taken = await self._reserve_script(keys=[key], args=[self.max_failures, self.window])
            return int(taken) >= 0
        except Exception as exc:  # redis.RedisError, OSError: refuse rather than check unlimited
            log.warning("verification limiter unavailable: %s", type(exc).__name__)
            raise ApiError(503, "verification_unavailable",
                           "Verification is temporarily unavailable; please retry shortly.",
                           headers={"Retry-After": str(RETRY_AFTER_OUTAGE_SECONDS)}) from None

    async def _release(self, key: str) -> None:
        if self._redis is None:
            with self._lock:
                expires, taken = self._local.get(key, (0.0, 0))
                if taken > 0:
                    self._local[key] = (expires, taken - 1)
            return
        try:
            await self._release_script(keys=[key])
        except Exception as exc:  # the place stays taken until the window ends: errs on safety
            log.warning("verification limiter release failed: %s", type(exc).__name__)
