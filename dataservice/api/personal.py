"""The one mark of a route whose answer carries personal data: `@personal_data`.

Such an answer is `Cache-Control: no-store`, so no browser, proxy or client cache keeps it, and
/openapi.json says so on the route's success answers.
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


NO_STORE_HEADER = {"description": "`no-store`: the answer carries personal data; keep no copy.",
                   "schema": {"type": "string", "const": NO_STORE}}


def document_no_store(schema: dict, routes: set[tuple[str, str]]) -> dict:
    """The OpenAPI `schema` with `Cache-Control: no-store` on the success answers of `routes`."""
    for method, path in routes:
        for status, answer in schema["paths"][path][method.lower()]["responses"].items():
            if status.startswith("2"):
                answer.setdefault("headers", {})["Cache-Control"] = NO_STORE_HEADER
    return schema
