"""The example lines of an NLU training-format file, intent by intent."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import yaml


def nlu_examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, example) for every example line of every intent block of `path`, in file order.
    The example is the line as written (entity annotations included), without its "- " marker.
    Synonym, lookup and regex blocks are not intents' examples and are skipped."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    for block in doc.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- ") and line[2:].strip():
                yield str(block["intent"]), line[2:].strip()
