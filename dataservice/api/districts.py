"""Districts: list and free-text resolver ("浦東", "pu dong", "Pudong New Area" -> pudong)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from dataservice.api.deps import cached_json
from dataservice.api.params import (Lang, LangQuery, LimitQuery, QueryText, clean_query,
                                    query_key)
from dataservice.api.responses import LIST
from dataservice.repositories import catalogue as repo
from dataservice.text.resolver import index_on

router = APIRouter(tags=["districts"])


@router.get("/districts", responses=LIST)
async def get_districts(request: Request, lang: Lang = LangQuery):
    return await cached_json(request, "districts", f"list:{lang}",
                             lambda s: repo.list_districts(s, lang))


@router.get("/districts/resolve")
async def resolve_district(request: Request, q: str = QueryText(), lang: Lang = LangQuery,
                           limit: int = LimitQuery()):
    """Which district does this text mean? Matches best first; `confident` when the score >= 75."""
    q = clean_query(q)
    index = index_on(request.app.state, "district_resolver", repo.district_resolver_rows)
    return await cached_json(
        request, "districts", query_key("resolve", q, lang, limit),
        lambda s: {"query": q, "matches": index.get(s).resolve(q, lang, limit)})
