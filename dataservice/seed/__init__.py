"""Idempotent loading of the sample data: every loader upserts by natural key.

Loaders run in dependency order, each in its own transaction. Data files live in `seed/data/`
(government sources) and `partners/seed/` (each partner's own data). All of it is sample data.
Loaders are imported explicitly: a missing or broken one stops the seeding with its import error.
"""
from __future__ import annotations

from types import ModuleType

from sqlalchemy.orm import Session, sessionmaker

from dataservice.seed.context import DATA_DIR, SeedContext, read_yaml, shanghai_today
from dataservice.seed import (applications, centers, districts, garbage, partners, services, slots,
                              tickets, work_orders)

__all__ = ["DATA_DIR", "LOADERS", "NAMESPACES", "SeedContext", "bump_cache_versions", "read_yaml",
           "run", "shanghai_today"]

# In dependency order; each module has `load(session, ctx) -> int`.
LOADERS: tuple[ModuleType, ...] = (districts, services, centers, slots, applications, work_orders,
                                   tickets, garbage, partners)
# Cache namespaces a re-seed makes stale.
NAMESPACES = ["services", "districts", "centers", "slots", "garbage", "partners", "work_orders"]


def loader_name(module: ModuleType) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def run(factory: sessionmaker[Session], ctx: SeedContext) -> dict[str, int]:
    counts: dict[str, int] = {}
    for module in LOADERS:
        with factory() as session, session.begin():
            counts[loader_name(module)] = module.load(session, ctx)
    return counts


def bump_cache_versions(redis_url: str | None, prefix: str) -> None:
    """Make every worker's cached reads stale after a re-seed (in-process caches die with a
    restart)."""
    if not redis_url:
        return
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for ns in NAMESPACES:
            client.incr(f"{prefix}:ver:{ns}")
    finally:
        client.close()
