"""A `location` message: the three nearest service centres, from the data service.

The one place the Rasa side still calls the data service (a location is not text the assistant
could read); DATASERVICE_URL and DATASERVICE_API_KEY come from bot/settings.py.
"""
from __future__ import annotations

import asyncio

import aiohttp

from bot.channels import replies
from bot.settings import WeChatSettings


async def nearest_centres(settings: WeChatSettings, message) -> str:
    try:
        lat, lon = float(message.location_x), float(message.location_y)
    except (TypeError, ValueError):
        return replies.TEXT_ONLY
    if not settings.dataservice_url:
        return replies.UNAVAILABLE
    try:
        timeout = aiohttp.ClientTimeout(total=max(1.0, settings.reply_budget - 1))
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{settings.dataservice_url}/v1/centers/nearest",
                                   params={"lat": str(lat), "lon": str(lon), "limit": "3",
                                           "lang": "zh"},
                                   headers={"X-API-Key": settings.dataservice_key}) as r:
                if r.status != 200:
                    return replies.UNAVAILABLE
                items = (await r.json()).get("items") or []
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return replies.UNAVAILABLE
    if not items:
        return replies.NO_CENTRE_NEARBY
    lines = ["离您最近的受理中心："]
    for i, c in enumerate(items, 1):
        line = f"{i}. {c.get('name')}"
        if c.get("distance_km") is not None:
            line += f"（约 {c['distance_km']} 公里）"
        lines.append(line)
        if c.get("address"):
            lines.append(f"   地址：{c['address']}")
        if c.get("hours_summary"):
            lines.append(f"   时间：{c['hours_summary']}")
        if c.get("phone"):
            lines.append(f"   电话：{c['phone']}")
    return "\n".join(lines)
