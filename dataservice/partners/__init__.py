"""Enterprise partners of the city's data layer: one adapter module per partner, plus its own seed.

Every adapter module exposes `PARTNER` (a `Partner`) and `seed(session, ctx) -> int`; utility
adapters also expose `lookup(...)`; `partners/registry.py` lists them. Every answer built from
partner data carries a provenance block, so the chatbot can say whose data it is, how fresh it is,
and that it is sample data.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from dataservice.text.bilingual import localized

SEED_DIR = Path(__file__).with_name("seed")

@dataclass(frozen=True)
class Partner:
    id: str
    kind: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        return localized(self, "name", lang)


def provenance(partner: Partner, lang: str, as_of: datetime) -> dict:
    """The provenance block every partner answer carries."""
    if as_of.tzinfo is None:  # SQLite returns naive datetimes; they are stored in UTC
        as_of = as_of.replace(tzinfo=timezone.utc)
    return {"provenance": {"partner": partner.name(lang), "partner_id": partner.id,
                           "as_of": as_of.isoformat(), "sample_data": True}}
