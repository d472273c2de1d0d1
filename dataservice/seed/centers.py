"""Service centres and the services each handles: upsert by centre id (see data/centers.yaml)."""
from __future__ import annotations

import logging
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataservice.models import Center, CenterService, District, Service
from dataservice.opening_hours import WEEKDAYS
from dataservice.seed.context import SeedContext, read_yaml

log = logging.getLogger(__name__)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _check_hours(center_id: str, hours: dict) -> dict:
    if set(hours) != set(WEEKDAYS):
        raise ValueError(f"centre {center_id}: hours must list exactly {WEEKDAYS}")
    for day, ranges in hours.items():
        previous = "00:00"
        for pair in ranges:
            if (len(pair) != 2 or not all(_HHMM.match(t) for t in pair)
                    or not previous <= pair[0] < pair[1]):
                raise ValueError(f"centre {center_id}: bad {day} range {pair!r}")
            previous = pair[1]
    return {day: [list(p) for p in hours[day]] for day in WEEKDAYS}


def centers_from_yaml() -> list[dict]:
    """The centres with hour templates and service sets resolved."""
    data = read_yaml("centers.yaml")
    templates, sets = data["hours_templates"], data["service_sets"]
    rows = []
    for raw in data["centers"]:
        hours = raw["hours"]
        hours = _check_hours(raw["id"], templates[hours] if isinstance(hours, str) else hours)
        codes = [c for name in raw.get("service_sets", []) for c in sets[name]]
        codes += raw.get("services", [])
        rows.append({
            "id": raw["id"], "district_code": raw["district"],
            "name_zh": raw["name_zh"], "name_en": raw["name_en"],
            "address_zh": raw["address_zh"], "address_en": raw["address_en"],
            "phone": raw["phone"], "latitude": raw["lat"], "longitude": raw["lon"],
            "weekly_hours": hours, "services": list(dict.fromkeys(codes)),
        })
    ids = [r["id"] for r in rows]
    if len(ids) != len(set(ids)):
        raise ValueError("centers.yaml: duplicate centre ids")
    return rows


def load(session: Session, ctx: SeedContext) -> int:
    rows = centers_from_yaml()
    districts = set(session.scalars(select(District.code)))
    services = set(session.scalars(select(Service.code)))
    unknown_districts = {r["district_code"] for r in rows} - districts
    if unknown_districts:
        raise ValueError(f"centers.yaml: unknown districts {sorted(unknown_districts)}")
    missing = {c for r in rows for c in r["services"]} - services
    if missing:
        # Not fatal: the catalogue may be seeded by a later version; the links appear on re-seed.
        log.warning("centres: skipping links to services not in the catalogue: %s", sorted(missing))
    for row in rows:
        codes = [c for c in row.pop("services") if c in services]
        session.merge(Center(**row, services=[CenterService(center_id=row["id"], service_code=c)
                                              for c in codes]))
    return len(rows)
