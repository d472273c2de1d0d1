"""Every router of the service, imported explicitly: a missing or broken source module stops the
start-up with its import error instead of being skipped. Adding a source is adding it here."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from dataservice.api import (applications, appointments, calendar, centers, districts, garbage,
                             health, services, tickets, transport, utilities, work_orders)
from dataservice.api.responses import V1_ROUTES
from dataservice.security import require_api_key

V1_PREFIX = "/v1"
# Paths without the /v1 prefix, in mounting order. work_orders before tickets: its
# /tickets/categories must not be read as a ticket number.
V1_ROUTERS: tuple[APIRouter, ...] = (
    services.router, districts.router, centers.router, appointments.router,
    applications.router, work_orders.router, tickets.router, garbage.router, utilities.router,
    transport.router, calendar.router,
)
# Open without an API key: liveness, readiness, metrics.
OPEN_ROUTERS: tuple[APIRouter, ...] = (health.router,)


def build_v1_router(routers: tuple[APIRouter, ...] = V1_ROUTERS) -> APIRouter:
    v1 = APIRouter(prefix=V1_PREFIX, dependencies=[Depends(require_api_key)], responses=V1_ROUTES)
    for router in routers:
        if not isinstance(router, APIRouter):
            raise TypeError(f"not an APIRouter: {router!r}")
        v1.include_router(router)
    return v1
