"""Labelled work-order messages: the shipped corpus, our out-of-scope negatives, a city's export.

Corpus lines are `{"text", "type", "level1", "level2", "district"}` with Chinese class names (the
stable keys of the corpus); a city's export may name classes by code, Chinese or English name.
Everything is turned into codes here, so the model only ever sees codes.
"""
from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from dataservice.work_orders.taxonomy import TYPE_CODES, Taxonomy, load_taxonomy

CORPUS_DIR = Path(__file__).resolve().parent.parent / "seed" / "data" / "work_orders"
# Negatives: hand-written (negatives.jsonl) and the assistant's own out-of-scope examples
# (negatives_assistant.jsonl, scripts/build_work_order_negatives.py).
NEGATIVES_GLOB = "negatives*.jsonl"
# The out-of-scope pseudo-class: chit-chat and everyday-assistant requests that are no city matter.
NONE = "none"


class CorpusError(ValueError):
    """A row names a class the taxonomy does not have (the message says which file and line)."""


@dataclass(frozen=True)
class Example:
    text: str
    level1: str  # a first-level code, or NONE
    level2: str | None = None
    type: str | None = None


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    """The training messages (every `messages_*.jsonl`) and the negatives, in a stable order."""
    return sorted(directory.glob("messages_*.jsonl")) + sorted(directory.glob(NEGATIVES_GLOB))


def digest(files: Iterable[Path], *extra: str) -> str:
    """Content hash of the training files (and of anything else the model depends on)."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()


def read_corpus(directory: Path = CORPUS_DIR, taxonomy: Taxonomy | None = None) -> list[Example]:
    """The shipped training messages and negatives."""
    taxonomy = taxonomy or load_taxonomy()
    return [e for path in corpus_files(directory) for e in read_corpus_file(path, taxonomy)]


def read_corpus_file(path: Path, taxonomy: Taxonomy) -> list[Example]:
    """One corpus file: labelled messages, or the negatives (first-level class NONE)."""
    if path.match(NEGATIVES_GLOB):
        return [Example(row["text"], NONE) for _n, row in _jsonl(path)]
    return [_labelled(row, taxonomy, path, n) for n, row in _jsonl(path)]


def read_export(path: Path, taxonomy: Taxonomy | None = None) -> list[Example]:
    """A city's export: CSV with a header row, or JSONL; columns text, level1, [level2], [type]."""
    taxonomy = taxonomy or load_taxonomy()
    path = Path(path)
    rows = _jsonl(path) if path.suffix.lower() in (".jsonl", ".json") else _csv(path)
    return [_labelled(row, taxonomy, path, n) for n, row in rows]


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield n, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CorpusError(f"{path.name}:{n}: not JSON ({exc.msg})") from None


def _csv(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for n, row in enumerate(reader, 2):
            yield n, {k.strip().lower(): v for k, v in row.items() if k}


def _labelled(row: dict, taxonomy: Taxonomy, path: Path, n: int) -> Example:
    where = f"{path.name}:{n}"
    text = str(row.get("text") or "").strip()
    if not text:
        raise CorpusError(f"{where}: empty text")
    level1 = taxonomy.level1_code(str(row.get("level1") or ""))
    if level1 is None:
        raise CorpusError(f"{where}: unknown first-level class {row.get('level1')!r}")
    level2 = None
    if row.get("level2"):
        level2 = taxonomy.level2_code(level1, str(row["level2"]))
        if level2 is None:
            raise CorpusError(f"{where}: {row['level2']!r} is no second-level class of {row['level1']!r}")
    kind = str(row.get("type") or "").strip().lower() or None
    if kind is not None and kind not in TYPE_CODES:
        by_name = {t.name_zh: t.code for t in taxonomy.types} | {t.name_en.lower(): t.code for t in taxonomy.types}
        if kind not in by_name:
            raise CorpusError(f"{where}: unknown message type {row.get('type')!r}")
        kind = by_name[kind]
    return Example(text, level1, level2, kind)
