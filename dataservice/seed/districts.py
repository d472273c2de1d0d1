"""Districts: upsert by code."""
from __future__ import annotations

from sqlalchemy.orm import Session

from dataservice.models import District
from dataservice.seed.context import SeedContext, read_yaml


def load(session: Session, ctx: SeedContext) -> int:
    rows = read_yaml("districts.yaml")
    for row in rows:
        session.merge(District(**row))
    return len(rows)
