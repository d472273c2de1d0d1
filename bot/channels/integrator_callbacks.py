"""POSTs to an integrator's callback URL (INTEGRATOR_CALLBACKS): the answers of async mode and an
agent's replies from the console's desk. Each is signed as the integrator signs its requests:
`X-Signature: sha256=<HMAC of "<X-Timestamp>." + body>` (docs/integrators.md)."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Optional

import aiohttp

from bot.channels.integrator_checks import sign
from bot.settings import IntegratorSettings

logger = logging.getLogger(__name__)


async def post_once(settings: IntegratorSettings, integrator: str, payload: dict[str, Any],
                    attempt: int = 1) -> Optional[str]:
    """None when the callback took the payload (2xx); else what went wrong (`callback_503`,
    `callback_timeout`, the transport error's name)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Timestamp": timestamp,
               "X-Signature": sign(settings.callback_secret(integrator), timestamp, body),
               "X-Request-Id": payload["request_id"], "X-Delivery-Attempt": str(attempt)}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            async with session.post(settings.callbacks[integrator], data=body,
                                    headers=headers) as resp:
                return None if 200 <= resp.status < 300 else f"callback_{resp.status}"
    except asyncio.TimeoutError:
        return "callback_timeout"
    except Exception as exc:  # connection refused, DNS, ...
        return type(exc).__name__


async def post_with_retries(settings: IntegratorSettings, integrator: str,
                            payload: dict[str, Any]) -> None:
    """INTEGRATOR_CALLBACK_RETRIES more attempts after the first, the delay doubling from
    INTEGRATOR_CALLBACK_BACKOFF."""
    delay = settings.callback_backoff
    for attempt in range(1, settings.callback_retries + 2):
        failure = await post_once(settings, integrator, payload, attempt)
        if failure is None:
            return
        if attempt > settings.callback_retries:
            break
        logger.info("integrator webhook: callback to %s failed (%s), retry %d in %.1fs",
                    integrator, failure, attempt, delay)
        await asyncio.sleep(delay)
        delay *= 2
    logger.error("integrator webhook: callback to %s given up after %d attempts (request %s)",
                 integrator, settings.callback_retries + 1, payload["request_id"])
