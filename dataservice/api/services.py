"""Service catalogue: list, free-text resolver, and one service's details in zh or en."""
from __future__ import annotations

import re

from fastapi import APIRouter, Request

from dataservice.api.deps import cached_json, resolved_json
from dataservice.api.params import Lang, LangQuery, LimitQuery, QueryText
from dataservice.api.responses import LIST, errors
from dataservice.errors import ApiError
from dataservice.repositories import catalogue as repo

router = APIRouter(tags=["services"])

_CODE = re.compile(r"^[a-z0-9_]{1,64}$")


@router.get("/services", responses=LIST)
async def get_services(request: Request, lang: Lang = LangQuery):
    return await cached_json(request, "services", f"list:{lang}",
                             lambda s: repo.list_services(s, lang))


# Declared before /services/{code} so "resolve" is not taken for a code.
@router.get("/services/resolve")
async def resolve_service(request: Request, q: str = QueryText(), lang: Lang = LangQuery,
                          limit: int = LimitQuery()):
    """Which service does this text mean? Matches best first; `confident` when the score >= 75."""
    return await resolved_json(request, "services", "service_resolver",
                               repo.service_resolver_rows, q, lang, limit)


@router.get("/services/{code}", responses=errors(404))
async def get_service(request: Request, code: str, lang: Lang = LangQuery):
    if not _CODE.match(code):
        raise ApiError(404, "unknown_service", "No service with that code.")
    return await cached_json(request, "services", f"one:{code}:{lang}",
                             lambda s: repo.service_detail(s, code, lang))
