"""Limits failed verification attempts per record.

A verification factor of four digits has only 10,000 values: without a limit anyone could walk
through them. After `max_failures` failed attempts on one record within `window` seconds, further
attempts on that record get 429 until the window passes. Unknown records count too, so a 429
never tells whether a number exists. Counters live in Redis (shared by all workers and replicas)
or in-process for the embedded default.
"""
from __future__ import annotations

import hashlib
import threading
import time

from dataservice.errors import ApiError


class FailedAttemptLimiter:
    def __init__(self, redis_url: str | None, prefix: str, max_failures: int = 5,
                 window: int = 900):
        self.max_failures, self.window, self.prefix = max_failures, window, prefix
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0,
                                               socket_connect_timeout=1.0)
        self._local: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def _key(self, scope: str, ref: str) -> str:
        # Hash the reference: Redis keys show up in monitoring tools.
        digest = hashlib.sha256(f"{scope}:{ref}".encode()).hexdigest()[:32]
        return f"{self.prefix}:fail:{digest}"

    def _count(self, key: str) -> int:
        if self._redis is not None:
            try:
                return int(self._redis.get(key) or 0)
            except Exception:  # a Redis outage must not lock citizens out
                return 0
        with self._lock:
            expires, count = self._local.get(key, (0.0, 0))
            return count if expires > time.monotonic() else 0

    def check(self, scope: str, ref: str) -> None:
        if self._count(self._key(scope, ref)) >= self.max_failures:
            raise ApiError(429, "too_many_attempts",
                           "Too many failed verification attempts for this record; try again later.",
                           headers={"Retry-After": str(self.window)})

    def failed(self, scope: str, ref: str) -> None:
        key = self._key(scope, ref)
        if self._redis is not None:
            try:
                # SET NX EX starts the window once (EXPIRE NX needs Redis 7).
                pipe = self._redis.pipeline()
                pipe.set(key, 0, ex=self.window, nx=True)
                pipe.incr(key)
                pipe.execute()
            except Exception:
                pass
            return
        with self._lock:
            now = time.monotonic()
            expires, count = self._local.get(key, (0.0, 0))
            if expires <= now:
                expires, count = now + self.window, 0
            self._local[key] = (expires, count + 1)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
