"""Enterprise partner data: each partner adapter seeds its own data from partners/seed/."""
from __future__ import annotations

from sqlalchemy.orm import Session

from dataservice.partners.registry import ADAPTERS
from dataservice.seed.context import SeedContext


def load(session: Session, ctx: SeedContext) -> int:
    return sum(adapter.seed(session, ctx) for adapter in ADAPTERS)
