"""What the assistant already knows: the domain's intents and the NLU training examples.

Read from the repository's Rasa files (YAML), cached until a file changes.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from console.ingest.events import FALLBACK_INTENT, normalize_text
from nlu_data.examples import nlu_examples

_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain_text(example: str) -> str:
    """`what do I need for a [residence permit](service)` -> the text a citizen would type."""
    return _ENTITY_MARKUP.sub(r"\1", example)


def _stamp(folder: Path) -> tuple[tuple[str, float], ...]:
    return tuple((str(p), p.stat().st_mtime) for p in sorted(folder.rglob("*.yml")))


def intents(domain_path: str) -> frozenset[str]:
    return _intents(_stamp(Path(domain_path)))


@lru_cache(maxsize=4)
def _intents(stamp: tuple[tuple[str, float], ...]) -> frozenset[str]:
    names: set[str] = set()
    for path, _ in stamp:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for item in doc.get("intents") or []:
            names.add(next(iter(item)) if isinstance(item, dict) else str(item))
    names.discard(FALLBACK_INTENT)
    return frozenset(names)


def trained_intents(nlu_path: str) -> dict[str, frozenset[str]]:
    """Normalised example text -> the intents the training data gives it."""
    return _trained(_stamp(Path(nlu_path)))


@lru_cache(maxsize=4)
def _trained(stamp: tuple[tuple[str, float], ...]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for path, _ in stamp:
        for intent, example in nlu_examples(Path(path)):
            found.setdefault(normalize_text(plain_text(example)), set()).add(intent)
    return {k: frozenset(v) for k, v in found.items()}
