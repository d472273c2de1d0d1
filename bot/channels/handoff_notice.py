"""Telling the console's agent desk that a citizen's chat disconnected (the agent sees it; the
handoff and everything said stay). CONSOLE_URL and CONSOLE_HANDOFF_TOKEN (bot/settings.py);
unset URL: no notice."""
from __future__ import annotations

import asyncio
import logging

import aiohttp

from bot.settings import ConsoleNoticeSettings

logger = logging.getLogger(__name__)
_TASKS: set = set()


async def _post(url: str, token: str, conversation: str) -> None:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.post(f"{url}/api/handoffs/left", json={"conversation_id": conversation},
                                    headers={"Authorization": f"Bearer {token}"}) as resp:
                if resp.status >= 300:
                    logger.warning("console refused the citizen-left notice (%s)", resp.status)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        logger.warning("console unreachable for the citizen-left notice (%s)", type(exc).__name__)


def citizen_left(settings: ConsoleNoticeSettings, conversation: str) -> None:
    if not settings.url:
        return
    task = asyncio.get_running_loop().create_task(_post(settings.url, settings.token, conversation))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
