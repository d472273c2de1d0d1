"""The process's one Redis client (REDIS_URL), shared by the read cache and the failed-attempt
limiter: one connection pool per process instead of one per user."""
from __future__ import annotations

from redis.asyncio import Redis

# A Redis that stops answering must fail a request fast: the cache then reads the database, the
# limiter refuses the lookup (dataservice/lockout.py).
SOCKET_TIMEOUT_SECONDS = 1.0


def make_redis(url: str | None) -> Redis | None:
    """An asyncio client for `url` (connections open on first use), or None when unset."""
    if not url:
        return None
    return Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT_SECONDS,
                          socket_connect_timeout=SOCKET_TIMEOUT_SECONDS)
