"""Service centres: search by district/service, details, holiday-aware hours, nearest."""
from __future__ import annotations

from fastapi import APIRouter, Path, Query, Request

from dataservice.api.deps import cached_json
from dataservice.api.params import Lang, LangQuery, cache_key, parse_day
from dataservice.api.responses import LIST, errors
from dataservice.repositories import centers as repo

router = APIRouter(tags=["centers"])


def CodeQuery():  # noqa: N802 - a fresh Query per parameter (FastAPI must not share FieldInfo)
    return Query(None, min_length=1, max_length=64)


def CenterId():  # noqa: N802
    return Path(min_length=1, max_length=64)


@router.get("/centers", responses=LIST | errors(404))
async def list_centers(request: Request, district: str | None = CodeQuery(),
                       service: str | None = CodeQuery(), lang: Lang = LangQuery):
    """Centres, optionally only those of a district (code) and/or handling a service (code)."""
    return await cached_json(
        request, "centers", cache_key("list", district, service, lang),
        lambda s: {"items": repo.list_centers(s, lang, district, service)})


# Declared before /centers/{center_id} so "nearest" is not taken for an id.
@router.get("/centers/nearest", responses=LIST | errors(404))
async def nearest_centers(request: Request,
                          lat: float = Query(..., ge=-90, le=90, allow_inf_nan=False),
                          lon: float = Query(..., ge=-180, le=180, allow_inf_nan=False),
                          service: str | None = CodeQuery(),
                          limit: int = Query(3, ge=1, le=20), lang: Lang = LangQuery):
    """The closest centres (straight-line distance), optionally handling a service."""
    # ~10 m precision is plenty and keeps the cache keyspace small.
    lat, lon = round(lat, 4), round(lon, 4)
    return await cached_json(
        request, "centers", cache_key("nearest", lat, lon, service, limit, lang),
        lambda s: {"items": repo.nearest_centers(s, lat, lon, lang, service, limit)})


@router.get("/centers/{center_id}", responses=errors(404))
async def get_center(request: Request, center_id: str = CenterId(), lang: Lang = LangQuery):
    return await cached_json(request, "centers", cache_key("one", center_id, lang),
                             lambda s: repo.center_detail(s, center_id, lang))


@router.get("/centers/{center_id}/hours", responses=errors(404))
async def center_hours(request: Request, center_id: str = CenterId(),
                       date: str | None = Query(None, max_length=32), lang: Lang = LangQuery):
    """Opening hours on one date (default today in Shanghai), with holidays and make-up days."""
    day = parse_day(date)
    return await cached_json(
        request, "centers", cache_key("hours", center_id, day.isoformat(), lang),
        lambda s: repo.center_hours(s, center_id, day, lang))
