"""Request values shared by the routes: reply language, result limit, free text, dates, control
characters, and the cache keys built from them. Each is defined here once."""
from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Literal

import orjson
from fastapi import Query

from dataservice.errors import ApiError
from dataservice.opening_hours import shanghai_today

Lang = Literal["zh", "en"]
LangQuery = Query("zh", description="Reply language: zh (Simplified Chinese) or en")

MAX_QUERY_CHARS = 200
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# In free text a citizen pastes, tab, newline and carriage return are fine; other control
# characters are not (and PostgreSQL rejects NUL).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def QueryText():  # noqa: N802 - a fresh Query per route (FastAPI must not share FieldInfo)
    return Query(..., max_length=1000, description="What the citizen typed (1-200 characters).")


def LimitQuery():  # noqa: N802
    return Query(5, ge=1, le=20)


def clean_query(q: str, field: str = "q") -> str:
    """Resolver input: 1..200 characters once surrounding blanks are stripped, else a 422."""
    q = q.strip()
    if not 1 <= len(q) <= MAX_QUERY_CHARS:
        raise ApiError(422, "validation_error", f"{field} must be 1 to {MAX_QUERY_CHARS} characters "
                                                "(blank-only is not allowed).")
    return q


def query_key(kind: str, q: str, lang: str, limit: int) -> str:
    # Hash the free text: cache keys stay short and can hold nothing a client typed.
    digest = hashlib.blake2b(q.encode("utf-8"), digest_size=16).hexdigest()
    return f"{kind}:{lang}:{limit}:{digest}"


def cache_key(*parts) -> str:
    # JSON-encode so user-supplied parts can never run into each other and collide.
    return orjson.dumps(parts).decode()


def parse_day(value: str | None) -> date:
    """YYYY-MM-DD, or today in Shanghai when absent; anything else is a 422."""
    if value is None:
        return shanghai_today()
    if _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ApiError(422, "invalid_date", "date must be a calendar date in the form YYYY-MM-DD.")
