"""Shared request plumbing: sessions, the client id, cached JSON reads (a resolver's too), cache
invalidation."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import orjson
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from dataservice.api.params import clean_query, query_key
from dataservice.cache import cached
from dataservice.security import require_api_key
from dataservice.text.resolver import index_on


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


async def resolved_json(request: Request, namespace: str, index_attribute: str,
                        load_rows: Callable[[Session], Any], q: str, lang: str,
                        limit: int) -> Response:
    """A resolver's answer, {"query", "matches"} best first, cached under its list's `namespace`;
    the resolver index is kept on the app as `index_attribute` (built on first use)."""
    q = clean_query(q)
    index = index_on(request.app.state, index_attribute, load_rows)
    return await cached_json(request, namespace, query_key("resolve", q, lang, limit),
                             lambda s: {"query": q, "matches": index.get(s).resolve(q, lang, limit)})


async def invalidate(request: Request, *namespaces: str) -> None:
    for ns in namespaces:
        try:
            await request.app.state.cache.bump(ns)
        except Exception:  # a cache outage must not fail the write; TTL bounds staleness
            pass
