"""Read-through cache for read-heavy endpoints: Redis when configured, in-process otherwise.

Keys are grouped in namespaces ("services", "centers", "slots", ...). Each namespace has a version
number; a write bumps it, so every key cached under the old version is unreachable at once (and
expires by TTL). Hit and miss counters are Prometheus counters.
"""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, Protocol

from prometheus_client import Counter

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

    def __init__(self, max_items: int = 10_000):
        self._data: dict[str, tuple[float, bytes]] = {}
        self._versions: dict[str, int] = {}
        self._max = max_items

    async def get(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        if len(self._data) >= self._max:
            self._data.clear()  # crude but bounded; the embedded mode serves few users
        self._data[key] = (time.monotonic() + ttl, value)

    async def version(self, namespace: str) -> int:
        return self._versions.get(namespace, 0)

    async def bump(self, namespace: str) -> None:
        self._versions[namespace] = self._versions.get(namespace, 0) + 1

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()


class RedisCache:
    """Shared by every worker and replica; namespace versions live in Redis too."""

    def __init__(self, url: str, prefix: str):
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix
        # Versions are read on every request; keep them locally for a moment to save a round trip.
        self._local_versions: dict[str, tuple[float, int]] = {}
        self.version_ttl = 0.5

    def _k(self, key: str) -> str:
        return f"{self._prefix}:{key}"

    async def get(self, key: str) -> bytes | None:
        return await self._redis.get(self._k(key))

    async def set(self, key: str, value: bytes, ttl: int) -> None:
        await self._redis.set(self._k(key), value, ex=ttl)

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
        await self._redis.aclose()


def make_cache(redis_url: str | None, prefix: str) -> Cache:
    return RedisCache(redis_url, prefix) if redis_url else MemoryCache()


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
