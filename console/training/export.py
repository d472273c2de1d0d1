"""Annotations as Rasa training data (one NLU file in a folder of its own), and the hash of every
file a model is trained from."""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.ingest.events import normalize_text
from console.models import Annotation, Message

ANNOTATIONS_FILE = "console_annotations.yml"
# Characters Rasa's example markup gives a meaning to: never part of an exported example.
_MARKUP = re.compile(r"[\[\]{}()]")


def _markup(text: str, entities: list[dict[str, Any]]) -> str:
    """`去浦东办居住证` + [{district: 浦东}] -> `去[浦东](district)办居住证`."""
    text = " ".join(_MARKUP.sub(" ", text).split())
    for e in entities:
        found = re.search(re.escape(str(e["value"])), text, re.IGNORECASE)
        if found:
            text = (f"{text[:found.start()]}[{found.group(0)}]({e['entity']})"
                    f"{text[found.end():]}")
    return text


def annotated_examples(session: Session,
                       trained: dict[str, frozenset[str]]) -> dict[str, list[str]]:
    """intent -> examples, from every annotation that is not a skip. A text the training data
    already gives the same intent is left out (Rasa would flag the duplicate)."""
    by_intent: dict[str, dict[str, str]] = defaultdict(dict)
    for text, status, intent, entities in session.execute(
            select(Message.text, Annotation.status, Annotation.intent, Annotation.entities)
            .join(Annotation, Annotation.message_id == Message.id)
            .where(Annotation.status != "skipped").order_by(Message.id)).all():
        label = intent if status == "annotated" else "out_of_scope"
        key = normalize_text(text)
        if label in trained.get(key, frozenset()) or not key:
            continue
        by_intent[label].setdefault(key, _markup(text, entities or []))
    return {intent: list(examples.values()) for intent, examples in sorted(by_intent.items())}


class _Dumper(yaml.SafeDumper):
    """Examples as a literal block (`examples: |`), the way Rasa's own data files are written."""


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def write_annotations(folder: Path, examples: dict[str, list[str]]) -> int:
    """Writes the Rasa NLU file; returns how many examples it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"version": "3.1", "nlu": [
        {"intent": intent, "examples": "".join(f"- {e}\n" for e in items)}
        for intent, items in examples.items()]}
    (folder / ANNOTATIONS_FILE).write_text(
        "# Exported by the operator console from annotated citizen messages.\n"
        + yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000),
        encoding="utf-8")
    return sum(len(items) for items in examples.values())


def data_hash(paths: Iterable[Path]) -> str:
    """sha256 over the name and content of every YAML file under `paths`, in a fixed order. Names
    are relative to each given path, so the same data hashes alike wherever a job exported it."""
    digest = hashlib.sha256()
    named: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_file():
            named.append((path.name, path))
        else:
            named += [(f"{path.name}/{f.relative_to(path)}", f) for f in path.rglob("*.yml")]
    for name, f in sorted(named):
        digest.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
