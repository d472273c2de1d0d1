"""A `location` message, as the assistant reads it: `/share_location{"latitude": .., "longitude": ..}`.

The channel calls no backend itself: action_nearest_centres (actions/nearest_centres.py) answers
with the centres nearest the place, through the action server's data-service gateway.
"""
from __future__ import annotations

import json
import math
from typing import Optional


def share_location(message) -> Optional[str]:
    """The intent payload for a WeChat location message, or None when its coordinates are unreadable."""
    try:
        lat, lon = float(message.location_x), float(message.location_y)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return None
    return "/share_location" + json.dumps({"latitude": lat, "longitude": lon})
