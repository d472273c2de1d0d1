"""Districts: list and free-text resolver ("浦東", "pu dong", "Pudong New Area" -> pudong)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from dataservice.api.deps import cached_json, resolved_json
from dataservice.api.params import Lang, LangQuery, LimitQuery, QueryText
from dataservice.api.responses import LIST
from dataservice.repositories import catalogue as repo

router = APIRouter(tags=["districts"])


@router.get("/districts", responses=LIST)
async def get_districts(request: Request, lang: Lang = LangQuery):
    return await cached_json(request, "districts", f"list:{lang}",
                             lambda s: repo.list_districts(s, lang))


@router.get("/districts/resolve")
async def resolve_district(request: Request, q: str = QueryText(), lang: Lang = LangQuery,
                           limit: int = LimitQuery()):
    """Which district does this text mean? Matches best first; `confident` when the score >= 75."""
    return await resolved_json(request, "districts", "district_resolver",
                               repo.district_resolver_rows, q, lang, limit)
