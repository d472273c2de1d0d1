"""Garbage sorting guide: upsert by Chinese item name; items dropped from the file are removed."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dataservice.models import GarbageItem
from dataservice.repositories.garbage import CATEGORIES
from dataservice.seed.context import SeedContext, read_yaml


def load(session: Session, ctx: SeedContext) -> int:
    rows = read_yaml("garbage.yaml")
    existing = {item.name_zh: item for item in session.scalars(select(GarbageItem))}
    for row in rows:
        if row["category"] not in CATEGORIES:
            raise ValueError(f"garbage item {row['name_zh']}: unknown category {row['category']}")
        values = {"name_en": row["name_en"], "category": row["category"],
                  "aliases": [str(a) for a in row.get("aliases", [])],
                  "tip_zh": row.get("tip_zh", ""), "tip_en": row.get("tip_en", "")}
        item = existing.get(row["name_zh"])
        if item is None:
            session.add(GarbageItem(name_zh=row["name_zh"], **values))
        else:
            for field, value in values.items():
                setattr(item, field, value)
    names = [row["name_zh"] for row in rows]
    session.execute(delete(GarbageItem).where(GarbageItem.name_zh.not_in(names)))
    return len(rows)
