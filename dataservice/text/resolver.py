"""A matcher built from the database once per app and rebuilt after a TTL, so aliases stay data.

Each resolver (services, districts, ...) keeps one `ResolverIndex` on `app.state`; the build runs in
the worker thread that already holds a session, under a lock so concurrent misses build it once.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy.orm import Session

from dataservice.text.matcher import CONFIDENT_SCORE, AliasMatcher

DEFAULT_TTL_SECONDS = 300.0


@dataclass(frozen=True)
class Resolver:
    matcher: AliasMatcher
    names: dict[str, dict[str, str]]  # key -> {"zh": ..., "en": ...}

    def resolve(self, query: str, lang: str, limit: int) -> list[dict]:
        return [{"code": key, "score": score, "name": self.names[key][lang],
                 "confident": score >= CONFIDENT_SCORE}
                for key, score in self.matcher.match(query, limit)]


# Rows of (key, name_zh, name_en, aliases) -> Resolver.
def build_resolver(rows: Iterable[tuple[str, str, str, Iterable[str]]]) -> Resolver:
    entries, names = [], {}
    for key, name_zh, name_en, aliases in rows:
        names[key] = {"zh": name_zh, "en": name_en}
        entries.append((key, [*aliases, *_name_forms(name_zh), *_name_forms(name_en)]))
    return Resolver(AliasMatcher(entries), names)


def _name_forms(name: str) -> list[str]:
    """The display name, and its main part without a parenthesised note: "出生登记（新生儿落户）"."""
    forms = [name]
    for open_paren, close_paren in (("（", "）"), ("(", ")")):
        if open_paren in name:
            head, _, rest = name.partition(open_paren)
            forms += [head.strip(), rest.split(close_paren, 1)[0].strip()]
    return [f for f in forms if f]


class ResolverIndex:
    def __init__(self, load_rows: Callable[[Session], Iterable[tuple[str, str, str, Iterable[str]]]],
                 ttl: float = DEFAULT_TTL_SECONDS):
        self._load_rows = load_rows
        self._ttl = ttl
        self._lock = threading.Lock()
        self._resolver: Resolver | None = None
        self._built_at = 0.0

    def get(self, session: Session) -> Resolver:
        if self._resolver is None or time.monotonic() - self._built_at > self._ttl:
            with self._lock:
                if self._resolver is None or time.monotonic() - self._built_at > self._ttl:
                    self._resolver = build_resolver(self._load_rows(session))
                    self._built_at = time.monotonic()
        return self._resolver


def index_on(state, attribute: str, load_rows, ttl: float = DEFAULT_TTL_SECONDS) -> ResolverIndex:
    """The app's ResolverIndex stored under `attribute`, created on first use."""
    index = getattr(state, attribute, None)
    if index is None:
        index = ResolverIndex(load_rows, ttl)
        setattr(state, attribute, index)
    return index
