"""Shared request plumbing: sessions, the client id, cached JSON reads, cache invalidation."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import orjson
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from dataservice.cache import cached
from dataservice.security import require_api_key


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes open `with session.begin():` to commit."""
    with request.app.state.sessionmaker() as session:
        yield session


ClientId = Depends(require_api_key)


def dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default)


def _default(obj: Any) -> Any:
    from decimal import Decimal

    if isinstance(obj, Decimal):
        return float(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def json_response(data: Any, status_code: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(data), status_code=status_code, media_type="application/json",
                    headers=headers)


async def cached_json(request: Request, namespace: str, key: str,
                      load: Callable[[Session], Any]) -> Response:
    """Serve JSON from the cache, or run `load(session)` in a worker thread and cache its result.

    `load` may raise ApiError (e.g. unknown code); errors are not cached.
    """
    state = request.app.state

    async def _load() -> bytes:
        def _run() -> bytes:
            with state.sessionmaker() as session:
                return dumps(load(session))

        return await run_in_threadpool(_run)

    body = await cached(state.cache, namespace, key, state.settings.cache_ttl_seconds, _load)
    return Response(body, media_type="application/json")


async def invalidate(request: Request, *namespaces: str) -> None:
    for ns in namespaces:
        try:
            await request.app.state.cache.bump(ns)
        except Exception:  # a cache outage must not fail the write; TTL bounds staleness
            pass
