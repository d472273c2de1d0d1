"""App factory: wires settings, database, cache, error handling and the /v1 routers."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from importlib import import_module
from typing import Iterator

from fastapi import APIRouter, Depends, FastAPI

from dataservice.api.personal import document_no_store, personal_routes
from dataservice.api.responses import EVERY_ROUTE, V1_ROUTES
from dataservice.api import work_orders
from dataservice.cache import make_cache
from dataservice.db import make_engine, make_sessionmaker
from dataservice.errors import install_error_handlers
from dataservice.lockout import FailedAttemptLimiter
from dataservice.request_guard import RequestGuard
from dataservice.security import require_api_key
from dataservice.settings import Settings

log = logging.getLogger("dataservice")

# Each module exposes `router`; adding a source is adding a module here.
# work_orders before tickets: its /tickets/categories must not be read as a ticket number.
V1_PREFIX = "/v1"
V1_MODULES = [
    "services", "districts", "centers", "appointments", "applications", "work_orders", "tickets",
    "garbage", "utilities", "transport", "calendar",
]


def v1_routers() -> Iterator[APIRouter]:
    """Each source's router, paths without the /v1 prefix."""
    for name in V1_MODULES:
        try:
            module = import_module(f"dataservice.api.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"dataservice.api.{name}":
                continue  # source not built yet
            raise
        yield module.router


def build_v1_router() -> APIRouter:
    v1 = APIRouter(prefix=V1_PREFIX, dependencies=[Depends(require_api_key)], responses=V1_ROUTES)
    for router in v1_routers():
        v1.include_router(router)
    return v1


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    settings.refuse_if_insecure()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.using_dev_key:
            log.warning("DATASERVICE_API_KEYS is not set: accepting only the development key")
        await work_orders.start(app)
        yield
        await app.state.cache.close()
        app.state.limiter.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="Shanghai public services data service",
        version="1.0.0",
        description="Government and enterprise-partner data behind the public-services chatbot. "
        "All /v1 routes need an `X-API-Key` header. Sample data only.",
        lifespan=lifespan,
        responses=EVERY_ROUTE,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.cache = make_cache(settings.redis_url, settings.cache_prefix, settings.cache_ttl_seconds)
    app.state.limiter = FailedAttemptLimiter(settings.redis_url, settings.cache_prefix)
    install_error_handlers(app)

    from dataservice.api import health

    app.include_router(health.router)
    app.include_router(build_v1_router())
    generated_openapi = app.openapi
    personal = personal_routes(v1_routers(), V1_PREFIX)
    app.openapi = lambda: document_no_store(generated_openapi(), personal)  # type: ignore
    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes)
    return app
