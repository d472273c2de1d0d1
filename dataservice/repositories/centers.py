"""Service-centre queries and their localized JSON views (take the session, never commit)."""
from __future__ import annotations

import math
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataservice.errors import ApiError
from dataservice.models import Center, CenterService, District, Service
from dataservice.opening_hours import day_hours, weekly_summary
from dataservice.text.bilingual import localized

EARTH_RADIUS_KM = 6371.0088
# Every code and id in the catalogue has this shape; anything else is unknown without a query
# (and e.g. a NUL byte never reaches PostgreSQL, which would reject it with an error).
_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def require_district(session: Session, code: str) -> District:
    district = session.get(District, code) if _CODE.fullmatch(code) else None
    if district is None:
        raise ApiError(404, "unknown_district", "Unknown district code.")
    return district


def require_service(session: Session, code: str) -> Service:
    service = session.get(Service, code) if _CODE.fullmatch(code) else None
    if service is None:
        raise ApiError(404, "unknown_service", "Unknown service code.")
    return service


def require_center(session: Session, center_id: str) -> Center:
    center = session.get(Center, center_id) if _CODE.fullmatch(center_id) else None
    if center is None:
        raise ApiError(404, "center_not_found", "No service centre with this id.")
    return center


class Views:
    """Serializes centres in one language, loading district and service names once."""

    def __init__(self, session: Session, lang: str):
        self.lang = lang
        self.districts = {d.code: localized(d, "name", lang) for d in session.scalars(select(District))}
        self.services = {s.code: localized(s, "name", lang) for s in session.scalars(select(Service))}

    def center_ref(self, center: Center) -> dict:
        """The short form embedded in slots and bookings."""
        return {"id": center.id, "name": localized(center, "name", self.lang),
                "address": localized(center, "address", self.lang), "phone": center.phone}

    def service_ref(self, code: str) -> dict:
        return {"code": code, "name": self.services.get(code, code)}

    def center(self, center: Center) -> dict:
        return {
            **self.center_ref(center),
            "district": {"code": center.district_code,
                         "name": self.districts.get(center.district_code, center.district_code)},
            "location": {"lat": center.latitude, "lon": center.longitude},
            "weekly_hours": center.weekly_hours,
            "hours_summary": weekly_summary(center.weekly_hours, self.lang),
            "services": [self.service_ref(code)
                         for code in sorted(link.service_code for link in center.services)],
        }


def list_centers(session: Session, lang: str, district: str | None = None,
                 service: str | None = None) -> list[dict]:
    query = select(Center).order_by(Center.district_code, Center.id)
    if district is not None:
        require_district(session, district)
        query = query.where(Center.district_code == district)
    if service is not None:
        require_service(session, service)
        query = query.where(Center.id.in_(
            select(CenterService.center_id).where(CenterService.service_code == service)))
    views = Views(session, lang)
    return [views.center(c) for c in session.scalars(query)]


def nearest_centers(session: Session, lat: float, lon: float, lang: str,
                    service: str | None = None, limit: int = 3) -> list[dict]:
    query = select(Center).where(Center.latitude.is_not(None), Center.longitude.is_not(None))
    if service is not None:
        require_service(session, service)
        query = query.where(Center.id.in_(
            select(CenterService.center_id).where(CenterService.service_code == service)))
    # A few hundred centres at most: computing every distance in Python is simpler than a geo index.
    ranked = sorted(((haversine_km(lat, lon, c.latitude, c.longitude), c.id, c)
                     for c in session.scalars(query)), key=lambda t: (t[0], t[1]))
    views = Views(session, lang)
    return [{**views.center(c), "distance_km": round(d, 2)} for d, _, c in ranked[:limit]]


def center_detail(session: Session, center_id: str, lang: str) -> dict:
    return Views(session, lang).center(require_center(session, center_id))


def center_hours(session: Session, center_id: str, day: date, lang: str) -> dict:
    center = require_center(session, center_id)
    return {"center": {"id": center.id, "name": localized(center, "name", lang)},
            **day_hours(center.weekly_hours, day).as_dict(lang)}
