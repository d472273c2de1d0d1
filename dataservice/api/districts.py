"""Districts: list and free-text resolver ("浦東", "pu dong", "Pudong New Area" -> pudong)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataservice.api.deps import Lang, LangQuery, cached_json
from dataservice.api.responses import LIST
from dataservice.api.services import LimitQuery, QueryText, clean_query, query_key
from dataservice.models import District
from dataservice.text.resolver import index_on

router = APIRouter(tags=["districts"])


def list_districts(session: Session, lang: str) -> dict:
    rows = session.scalars(select(District).order_by(District.code))
    return {"items": [{"code": d.code, "name": getattr(d, f"name_{lang}")} for d in rows]}


def resolver_rows(session: Session):
    # The code itself ("pudong") is a fine alias too.
    return [(code, zh, en, [code, *aliases]) for code, zh, en, aliases in session.execute(
        select(District.code, District.name_zh, District.name_en, District.aliases))]


@router.get("/districts", responses=LIST)
async def get_districts(request: Request, lang: Lang = LangQuery):
    return await cached_json(request, "districts", f"list:{lang}", lambda s: list_districts(s, lang))


@router.get("/districts/resolve")
async def resolve_district(request: Request, q: str = QueryText(), lang: Lang = LangQuery,
                           limit: int = LimitQuery()):
    """Which district does this text mean? Matches best first; `confident` when the score >= 75."""
    q = clean_query(q)
    index = index_on(request.app.state, "district_resolver", resolver_rows)
    return await cached_json(
        request, "districts", query_key("resolve", q, lang, limit),
        lambda s: {"query": q, "matches": index.get(s).resolve(q, lang, limit)})
