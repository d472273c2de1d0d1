"""The data-service reads of the booking forms (centres, free times, service and district names)."""
from __future__ import annotations

from actions.api.dataservice import NotFound, get_client


async def centers_for(service: str, district: str | None, lang: str) -> list[dict]:
    params = {"service": service, "lang": lang}
    if district:
        params["district"] = district
    try:
        return (await get_client().get("/v1/centers", params=params)).get("items", [])
    except NotFound:
        return []


async def free_slots(center: str, service: str, lang: str) -> dict:
    try:
        return await get_client().get("/v1/slots", params={"center": center, "service": service,
                                                           "lang": lang})
    except NotFound:  # a stale centre, or it no longer handles the service
        return {"items": []}


async def service_names(lang: str) -> dict[str, str]:
    items = (await get_client().get("/v1/services", params={"lang": lang})).get("items", [])
    return {s["code"]: s["name"] for s in items}


async def service_detail(code: str, lang: str) -> dict | None:
    try:
        return await get_client().get(f"/v1/services/{code}", params={"lang": lang})
    except NotFound:
        return None


async def district_name(code: str, lang: str) -> str:
    items = (await get_client().get("/v1/districts", params={"lang": lang})).get("items", [])
    return next((d["name"] for d in items if d.get("code") == code), code)



async def center_detail(center_id: str, lang: str) -> dict | None:
    try:
        return await get_client().get(f"/v1/centers/{center_id}", params={"lang": lang})
    except NotFound:
        return None
