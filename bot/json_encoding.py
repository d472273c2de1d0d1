"""JSON for what the Rasa server sends (action calls, broker events), encoded with ujson.

ujson (a Rasa dependency) takes about half the time of `json.dumps` for a tracker. Where it
refuses a value (an integer beyond 64 bits, a lone surrogate) `json.dumps` encodes it, so what
neither can encode fails as it failed before.
"""
from __future__ import annotations

import json
from typing import Any

import ujson


def dumps(value: Any) -> str:
    """JSON that parses to what `json.dumps(value)` parses to."""
    try:
        return ujson.dumps(value, escape_forward_slashes=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)
