"""Liveness, readiness and metrics: open without an API key, for orchestrators and Prometheus."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from dataservice.migrate import schema_state

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready: a check below is not ok."}})
async def readyz(request: Request):
    state = request.app.state
    checks: dict[str, str] = {}

    def _db() -> str:
        # Reachable, and migrated to the schema this code expects (a deploy that skipped the
        # migration would otherwise answer every data request with a 500).
        with state.engine.connect() as conn:
            return schema_state(conn)

    try:
        checks["database"] = await run_in_threadpool(_db)
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    if state.settings.redis_url:
        try:
            await state.cache.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unavailable: {type(exc).__name__}"
    else:
        checks["redis"] = "not configured (in-process cache)"
    classifier = getattr(state, "classifier", None)
    checks["classifier"] = classifier.status if classifier is not None else "loading"
    ready = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                          status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
