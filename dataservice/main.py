"""App factory: wires settings, database, cache, error handling and the /v1 routers."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dataservice.api import work_orders
from dataservice.api.personal import document_no_store, personal_routes
from dataservice.api.responses import EVERY_ROUTE
from dataservice.api.routers import OPEN_ROUTERS, V1_PREFIX, V1_ROUTERS, build_v1_router
from dataservice.bookings import Bookings
from dataservice.cache import make_cache
from dataservice.db import make_engine, make_sessionmaker
from dataservice.errors import install_error_handlers
from dataservice.lockout import FailedAttemptLimiter
from dataservice.redis_client import make_redis
from dataservice.request_guard import RequestGuard
from dataservice.settings import Settings
from dataservice.verification import Verifier

log = logging.getLogger("dataservice")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    settings.refuse_if_insecure()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for warning in settings.development_warnings():
            log.warning(warning)
        await work_orders.start(app)
        yield
        await app.state.cache.close()
        if app.state.redis is not None:
            await app.state.redis.aclose()
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
    app.state.redis = make_redis(settings.redis_url)
    app.state.cache = make_cache(app.state.redis, settings.cache_prefix, settings.cache_ttl_seconds)
    app.state.limiter = FailedAttemptLimiter(app.state.redis, settings.cache_prefix)
    app.state.verifier = Verifier(app.state.limiter, app.state.sessionmaker)
    app.state.bookings = Bookings(app.state.sessionmaker, settings.pepper,
                                  settings.idempotency_ttl_seconds)
    install_error_handlers(app)

    for router in OPEN_ROUTERS:
        app.include_router(router)
    app.include_router(build_v1_router())
    generated_openapi = app.openapi
    personal = personal_routes(V1_ROUTERS, V1_PREFIX)
    app.openapi = lambda: document_no_store(generated_openapi(), personal)  # type: ignore
    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes)
    return app
