"""Service catalogue: list, free-text resolver, and one service's details in zh or en."""
from __future__ import annotations

import hashlib
import re

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from dataservice.api.deps import Lang, LangQuery, cached_json
from dataservice.api.responses import LIST, errors
from dataservice.errors import ApiError
from dataservice.models import CenterService, Service
from dataservice.text.resolver import index_on

router = APIRouter(tags=["services"])

MAX_QUERY_CHARS = 200
_CODE = re.compile(r"^[a-z0-9_]{1,64}$")


def clean_query(q: str) -> str:
    """Resolver input: 1..200 characters once surrounding blanks are stripped, else a 422."""
    q = q.strip()
    if not 1 <= len(q) <= MAX_QUERY_CHARS:
        raise ApiError(422, "validation_error",
                       f"q must be 1 to {MAX_QUERY_CHARS} characters (blank-only is not allowed).")
    return q


def query_key(kind: str, q: str, lang: str, limit: int) -> str:
    # Hash the free text: cache keys stay short and can hold nothing a client typed.
    digest = hashlib.blake2b(q.encode("utf-8"), digest_size=16).hexdigest()
    return f"{kind}:{lang}:{limit}:{digest}"


def QueryText():  # noqa: N802 - a fresh Query per route
    return Query(..., max_length=1000, description="What the citizen typed (1-200 characters).")


def LimitQuery():  # noqa: N802
    return Query(5, ge=1, le=20)


# -- reads (take the session, never commit) ----------------------------------------------------

def list_services(session: Session, lang: str) -> dict:
    rows = session.scalars(select(Service).order_by(Service.code))
    return {"items": [{"code": s.code, "name": getattr(s, f"name_{lang}")} for s in rows]}


def service_detail(session: Session, code: str, lang: str) -> dict:
    s = session.get(Service, code)
    if s is None:
        raise ApiError(404, "unknown_service", f"No service with code {code!r}.")
    centers = session.scalars(select(CenterService.center_id)
                              .where(CenterService.service_code == code)
                              .order_by(CenterService.center_id)).all()

    def t(field: str):
        return getattr(s, f"{field}_{lang}")

    return {
        "code": s.code, "name": t("name"), "department": t("department"),
        "eligibility": t("eligibility"), "documents": list(t("documents")),
        "fee": t("fee"), "fee_cny": float(s.fee_cny) if s.fee_cny is not None else None,
        "processing_time": t("processing_time"), "processing_days_max": s.processing_days_max,
        "online": t("online"), "online_url": s.online_url, "centers": list(centers),
    }


def resolver_rows(session: Session):
    # The code itself is an alias too: bot buttons send it back as the entity value.
    return [(code, zh, en, [code, *aliases]) for code, zh, en, aliases in session.execute(
        select(Service.code, Service.name_zh, Service.name_en, Service.aliases))]


# -- routes ------------------------------------------------------------------------------------

@router.get("/services", responses=LIST)
async def get_services(request: Request, lang: Lang = LangQuery):
    return await cached_json(request, "services", f"list:{lang}", lambda s: list_services(s, lang))


# Declared before /services/{code} so "resolve" is not taken for a code.
@router.get("/services/resolve")
async def resolve_service(request: Request, q: str = QueryText(), lang: Lang = LangQuery,
                          limit: int = LimitQuery()):
    """Which service does this text mean? Matches best first; `confident` when the score >= 75."""
    q = clean_query(q)
    index = index_on(request.app.state, "service_resolver", resolver_rows)
    return await cached_json(
        request, "services", query_key("resolve", q, lang, limit),
        lambda s: {"query": q, "matches": index.get(s).resolve(q, lang, limit)})


@router.get("/services/{code}", responses=errors(404))
async def get_service(request: Request, code: str, lang: Lang = LangQuery):
    if not _CODE.match(code):
        raise ApiError(404, "unknown_service", "No service with that code.")
    return await cached_json(request, "services", f"one:{code}:{lang}",
                             lambda s: service_detail(s, code, lang))
