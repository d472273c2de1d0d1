"""Read-through cache for read-heavy endpoints: Redis when configured, in-process otherwise.

Keys are grouped in namespaces ("services", "centers", "slots", ...). Each namespace has a version
number; a write bumps it, so every key cached under the old version is unreachable at once (and
expires by TTL). Hit and miss counters are Prometheus counters.

With Redis, each worker also keeps a small in-process copy (L1) of what it read, keyed by the same
versioned key: a hot read then costs no network round trip at all. Versions are re-read from Redis
at most every `version_ttl` seconds, so a write elsewhere reaches every worker within that time.
"""
from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol

from cachetools import TTLCache
from prometheus_client import Counter

if TYPE_CHECKING:
    from redis.asyncio import Redis

CACHE_HITS = Counter("dataservice_cache_hits_total", "Cache hits", ["namespace"])
CACHE_MISSES = Counter("dataservice_cache_misses_total", "Cache misses", ["namespace"])


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, value: bytes, ttl: int) -> None: ...
    async def version(self, namespace: str) -> int: ...
    async def bump(self, namespace: str) -> None: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryCache:
    """Per-process cache for the embedded default (no Redis)."""

    def __init__(self, max_items: int = 10_000, ttl: int = 300):
        self._data: TTLCache = TTLCache(maxsize=max_items, ttl=ttl)
        self._versions: dict[str, int] = {}

    async def get(self, key: str) -> bytes | None:
        return self._data.get(key)

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        self._data[key] = value

    async def version(self, namespace: str) -> int:
        return self._versions.get(namespace, 0)

    async def bump(self, namespace: str) -> None:
        self._versions[namespace] = self._versions.get(namespace, 0) + 1

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()


class RedisCache:
    """Shared by every worker and replica; namespace versions live in Redis too.

    `redis` is the process's shared client (dataservice/redis_client.py); its owner closes it."""

    def __init__(self, redis: Redis, prefix: str, l1_items: int = 5_000, l1_ttl: float = 5.0):
        self._redis = redis
        self._prefix = prefix
        # Versions are read on every request; keep them locally for a moment to save a round trip.
        self._local_versions: dict[str, tuple[float, int]] = {}
        self.version_ttl = 0.5
        self._l1: TTLCache = TTLCache(maxsize=l1_items, ttl=l1_ttl)

    def _k(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def get(self, key: str) -> bytes | None:
        value = self._l1.get(key)
        if value is None:
            value = await self._redis.get(self._k(key))
            if value is not None:
                self._l1[key] = value
        return value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        await self._redis.set(self._k(key), value, ex=ttl)
        self._l1[key] = value

    async def version(self, namespace: str) -> int:
        now = time.monotonic()
        cached = self._local_versions.get(namespace)
        if cached and cached[0] > now:
            return cached[1]
        raw = await self._redis.get(self._k(f"ver:{namespace}"))
        value = int(raw or 0)
        self._local_versions[namespace] = (now + self.version_ttl, value)
        return value

    async def bump(self, namespace: str) -> None:
        await self._redis.incr(self._k(f"ver:{namespace}"))
        self._local_versions.pop(namespace, None)

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        self._l1.clear()


def make_cache(redis: Redis | None, prefix: str, ttl: int = 300) -> Cache:
    return RedisCache(redis, prefix) if redis is not None else MemoryCache(ttl=ttl)


async def cached(cache: Cache, namespace: str, key: str, ttl: int,
                 load: Callable[[], Awaitable[bytes]]) -> bytes:
    """Return the cached bytes for (namespace, key), loading and storing them on a miss.

    A cache outage degrades to uncached reads instead of failing the request.
    """
    try:
        version = await cache.version(namespace)
        full_key = f"{namespace}:v{version}:{key}"
        hit = await cache.get(full_key)
    except (OSError, asyncio.TimeoutError, ConnectionError) as exc:  # pragma: no cover - outage
        _ = exc
        return await load()
    except Exception:  # redis.exceptions.* do not all subclass OSError
        return await load()
    if hit is not None:
        CACHE_HITS.labels(namespace).inc()
        return hit
    CACHE_MISSES.labels(namespace).inc()
    value = await load()
    try:
        await cache.set(full_key, value, ttl)
    except Exception:
        pass
    return value
