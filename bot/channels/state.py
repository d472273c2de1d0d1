"""The one state store of the channel connectors: token-bucket rate limits, short-lived keys and
locks (dedupe of retried messages, replay protection, numbered options).

Redis when REDIS_URL is set (every Rasa worker and replica shares it), process memory otherwise.
Key names never carry a citizen's identifier in the clear: callers build them with `hashed()`.

Outage policy, the same on every channel: when Redis cannot be reached, every operation raises
`StateUnavailable` and the channel answers with the polite outage reply (the 12345 hotline, in
the citizen's language; a retryable 503 for integrators) instead of processing. Falling back to
this process's memory would look kinder but buys nothing for a citizen: Rasa's lock store is the
same Redis, so the message could not be processed safely anyway, and a retry reaching another
replica would be processed a second time (a booking made twice). Redis counts as unreachable after
5 s (a busy event loop must not look like an outage); WeChat's channel waits 1 s to connect and
1.5 s to read, so its answer still fits WeChat's 5-second window.
"""
from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

T = TypeVar("T")


class StateUnavailable(Exception):
    """Redis cannot be reached: the channel answers with its outage reply (see above)."""


def hashed(*parts: str) -> str:
    """A key-name component for identifiers (sender ids, message ids, addresses): a SHA-256
    prefix, so Redis key names hold no personal or client-chosen text."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


@dataclass
class Limits:
    rate_per_minute: float
    burst: float


# Token buckets for every key at once: either all take a token, or none does and the longest
# wait is returned (milliseconds). Server time keeps several Rasa workers consistent.
_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tokens = {}
local wait = 0
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local s = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local tk = tonumber(s[1])
  local ts = tonumber(s[2])
  if tk == nil or ts == nil then tk = burst; ts = now end
  tk = math.min(burst, tk + math.max(0, now - ts) * rate)
  tokens[i] = tk
  if tk < 1 then
    local w = math.ceil((1 - tk) / rate)
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, wait} end
for i = 1, #KEYS do
  local rate = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  redis.call('HSET', KEYS[i], 'tokens', tostring(tokens[i] - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rate) + 1000)
end
return {1, 0}
"""

# A lock is extended or released only by its holder (its token): a holder whose lock expired
# meanwhile must not extend or delete the next holder's.
_EXTEND_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class MemoryState:
    """Single-process fallback (no REDIS_URL): same semantics as RedisState."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._values: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    def _get(self, key: str) -> str | None:
        item = self._values.get(key)
        if item is None or item[1] < time.monotonic():
            self._values.pop(key, None)
            return None
        return item[0]

    async def take(self, buckets: list[tuple[str, Limits]]) -> float:
        """0 if a token was taken from every bucket, else the seconds to wait."""
        async with self._lock:
            now = time.monotonic()
            states, wait = [], 0.0
            for key, lim in buckets:
                rate = lim.rate_per_minute / 60.0
                tokens, ts = self._buckets.get(key, (lim.burst, now))
                tokens = min(lim.burst, tokens + max(0.0, now - ts) * rate)
                states.append(tokens)
                if tokens < 1:
                    wait = max(wait, (1 - tokens) / rate)
            if wait > 0:
                return wait
            for (key, _), tokens in zip(buckets, states):
                self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > 100_000:  # forget idle buckets (they are full again anyway)
                self._buckets = dict(list(self._buckets.items())[-50_000:])
            return 0.0

    async def set_nx(self, key: str, value: str, ttl: float) -> bool:
        async with self._lock:
            if self._get(key) is not None:
                return False
            self._values[key] = (value, time.monotonic() + ttl)
            if len(self._values) > 100_000:
                now = time.monotonic()
                self._values = {k: v for k, v in self._values.items() if v[1] >= now}
            return True

    async def set(self, key: str, value: str, ttl: float) -> None:
        async with self._lock:
            self._values[key] = (value, time.monotonic() + ttl)

    async def get(self, key: str) -> str | None:
        return self._get(key)

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def extend(self, key: str, token: str, ttl: float) -> bool:
        async with self._lock:
            if self._get(key) != token:
                return False
            self._values[key] = (token, time.monotonic() + ttl)
            return True

    async def release(self, key: str, token: str) -> None:
        async with self._lock:
            if self._get(key) == token:
                del self._values[key]


def _unavailable_on_errors(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(method)
    async def wrapper(self: "RedisState", *args: Any, **kwargs: Any) -> T:
        try:
            return await method(self, *args, **kwargs)
        except self.errors as exc:
            raise StateUnavailable(type(exc).__name__) from exc
    return wrapper


class RedisState:
    def __init__(self, url: str, timeouts: tuple[float, float] = (5.0, 5.0)) -> None:
        """`timeouts`: (connect, read) seconds after which Redis counts as unreachable."""
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self.redis = aioredis.Redis.from_url(url, decode_responses=True, socket_timeout=timeouts[1],
                                             socket_connect_timeout=timeouts[0])
        self.errors = (RedisError, OSError, asyncio.TimeoutError)
        self._script = self.redis.register_script(_BUCKET_LUA)
        self._extend = self.redis.register_script(_EXTEND_LUA)
        self._release = self.redis.register_script(_RELEASE_LUA)

    @_unavailable_on_errors
    async def take(self, buckets: list[tuple[str, Limits]]) -> float:
        args: list[Any] = []
        for _, lim in buckets:
            args += [lim.rate_per_minute / 60000.0, lim.burst]
        allowed, wait_ms = await self._script(keys=[k for k, _ in buckets], args=args)
        return 0.0 if int(allowed) else int(wait_ms) / 1000.0

    @_unavailable_on_errors
    async def set_nx(self, key: str, value: str, ttl: float) -> bool:
        return bool(await self.redis.set(key, value, nx=True, px=int(ttl * 1000)))

    @_unavailable_on_errors
    async def set(self, key: str, value: str, ttl: float) -> None:
        await self.redis.set(key, value, px=int(ttl * 1000))

    @_unavailable_on_errors
    async def get(self, key: str) -> str | None:
        return await self.redis.get(key)

    @_unavailable_on_errors
    async def delete(self, key: str) -> None:
        await self.redis.delete(key)

    @_unavailable_on_errors
    async def extend(self, key: str, token: str, ttl: float) -> bool:
        """The lock `key` lives `ttl` seconds more, if `token` still holds it."""
        return bool(await self._extend(keys=[key], args=[token, int(ttl * 1000)]))

    @_unavailable_on_errors
    async def release(self, key: str, token: str) -> None:
        """Deletes the lock `key` if `token` still holds it."""
        await self._release(keys=[key], args=[token])


State = MemoryState | RedisState


class LazyState:
    """The channel's store, created on first use: a Redis client must be made inside the
    server's event loop, not when Rasa builds the channel."""

    def __init__(self, redis_url: str | None, timeouts: tuple[float, float] = (5.0, 5.0)) -> None:
        self._redis_url, self._timeouts = redis_url, timeouts
        self._state: State | None = None

    def __call__(self) -> State:
        if self._state is None:
            self._state = (RedisState(self._redis_url, self._timeouts) if self._redis_url
                           else MemoryState())
        return self._state
