"""Service catalogue: upsert by code."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from dataservice.models import Service
from dataservice.seed.context import SeedContext, read_yaml


def load(session: Session, ctx: SeedContext) -> int:
    rows = read_yaml("services.yaml")
    for row in rows:
        row = dict(row)
        if row.get("fee_cny") is not None:
            row["fee_cny"] = Decimal(str(row["fee_cny"]))
        session.merge(Service(**row))
    return len(rows)
