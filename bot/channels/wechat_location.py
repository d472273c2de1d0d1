"""A `location` message, as the assistant reads it: `/share_location{"latitude": .., "longitude": ..}`.

The channel calls no backend itself: action_nearest_centres (actions/nearest_centres.py) answers
with the centres nearest the place, through the action server's data-service gateway.
"""
from __future__ import annotations

import json
import math
from typing import Optional

PRECISION = 3


def share_location(message) -> Optional[str]:
    """The intent payload for a WeChat location message, or None when its coordinates are unreadable."""
    try:
        lat, lon = float(message.location_x), float(message.location_y)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        return None
    # Three decimals (about 100 m) find the nearest centre and keep the stored conversation from
    # pinpointing the citizen's door.
    return "/share_location" + json.dumps({"latitude": round(lat, PRECISION),
                                           "longitude": round(lon, PRECISION)})
