"""The one mark of a route whose answer carries personal data: `@personal_data`.

Such an answer is `Cache-Control: no-store`, so no browser, proxy or client cache keeps it; the
marked routes are listed by `personal_routes` (the tests call every one of them).
"""
from __future__ import annotations

import inspect
from functools import wraps
from typing import Any, Callable, Iterable

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.responses import Response

NO_STORE = "no-store"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = NO_STORE
    return response


def personal_data(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route (under its `@router` decorator) as answering with personal data."""
    if inspect.iscoroutinefunction(endpoint):
        @wraps(endpoint)
        async def route(*args: Any, **kwargs: Any) -> Response:
            return _no_store(await endpoint(*args, **kwargs))
    else:
        @wraps(endpoint)
        def route(*args: Any, **kwargs: Any) -> Response:
            return _no_store(endpoint(*args, **kwargs))
    route.personal_data = True  # type: ignore[attr-defined]
    return route


def personal_routes(routers: Iterable[APIRouter], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) of every route of `routers` marked `@personal_data`."""
    return {(method, prefix + route.path) for router in routers for route in router.routes
            if isinstance(route, APIRoute) and getattr(route.endpoint, "personal_data", False)
            for method in route.methods}
