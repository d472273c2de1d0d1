"""What every seed loader is given: the seeding context and the reader of its data files."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from dataservice.opening_hours import shanghai_today

DATA_DIR = Path(__file__).with_name("data")

__all__ = ["DATA_DIR", "SeedContext", "read_yaml", "shanghai_today"]


@dataclass
class SeedContext:
    pepper: str
    # The city's date: the sample data is dated relative to it, whatever the server's timezone.
    today: date = field(default_factory=shanghai_today)
    slot_days: int = 14


def read_yaml(path: Path | str):
    path = Path(path)
    if not path.is_absolute():
        path = DATA_DIR / path
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
