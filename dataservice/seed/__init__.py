"""Idempotent loading of the sample data: every loader upserts by natural key.

Loaders run in dependency order, each in its own transaction. Data files live in `seed/data/`
(government sources) and `partners/seed/` (each partner's own data). All of it is sample data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import import_module
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.orm import Session, sessionmaker

DATA_DIR = Path(__file__).with_name("data")

# Module names under dataservice.seed, in dependency order.
LOADERS = ["districts", "services", "centers", "slots", "applications", "work_orders", "tickets",
           "garbage", "partners"]
# Cache namespaces a re-seed makes stale.
NAMESPACES = ["services", "districts", "centers", "slots", "garbage", "partners", "work_orders"]


def shanghai_today() -> date:
    """The city's date (the API answers in Shanghai time whatever the server's timezone)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@dataclass
class SeedContext:
    pepper: str
    today: date = field(default_factory=shanghai_today)
    slot_days: int = 14


def read_yaml(path: Path | str):
    path = Path(path)
    if not path.is_absolute():
        path = DATA_DIR / path
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def run(factory: sessionmaker[Session], ctx: SeedContext) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in LOADERS:
        try:
            module = import_module(f"dataservice.seed.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"dataservice.seed.{name}":
                continue  # source not built yet
            raise
        with factory() as session, session.begin():
            counts[name] = module.load(session, ctx)
    return counts


def bump_cache_versions(redis_url: str | None, prefix: str) -> None:
    """Make every worker's cached reads stale after a re-seed (in-process caches die with restart)."""
    if not redis_url:
        return
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for ns in NAMESPACES:
            client.incr(f"{prefix}:ver:{ns}")
    finally:
        client.close()
