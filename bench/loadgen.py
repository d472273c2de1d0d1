"""Closed-loop load generator for a Rasa REST webhook (the same one for both systems).

Each of `concurrency` virtual citizens replays scripted conversations one message at a time,
waiting for the answer before sending the next (as a person in a chat does), with a fresh sender
id per conversation. Latency is measured per message from send to the complete answer.
"""
from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from dataclasses import dataclass, field

import aiohttp

from bench.conversations import SCRIPTS, long_conversation


@dataclass
class Target:
    name: str
    url: str  # the REST webhook
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Sample:
    started: float
    latency_ms: float
    ok: bool
    empty: bool = False


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summarize(samples: list[Sample], seconds: float) -> dict:
    lat = [s.latency_ms for s in samples if s.ok]
    return {"messages": len(samples), "rps": len(samples) / seconds if seconds else 0.0,
            "p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99),
            "errors": sum(not s.ok for s in samples), "empty": sum(s.empty for s in samples)}


async def send(session: aiohttp.ClientSession, target: Target, sender: str, text: str) -> Sample:
    started = time.perf_counter()
    ok = empty = False
    try:
        async with session.post(target.url, json={"sender": sender, "message": text},
                                headers=target.headers) as resp:
            body = await resp.json(content_type=None)
            ok = resp.status == 200 and isinstance(body, list)
            empty = ok and not body
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        ok = False
    return Sample(started, (time.perf_counter() - started) * 1000, ok, empty)


async def _citizen(session, target, user: int, run_id: str, stop_at: float, out: list[Sample]):
    for n in itertools.count():
        script = SCRIPTS[(user + n) % len(SCRIPTS)]
        sender = f"bench-{run_id}-{user}-{n}"
        for text in script:
            if time.perf_counter() >= stop_at:
                return
            out.append(await send(session, target, sender, text))


async def run_load(target: Target, concurrency: int, seconds: float, warmup: float,
                   run_id: str) -> dict:
    """Messages/s and latency percentiles over `seconds`, after `warmup` seconds of the same load."""
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency * 2, force_close=True)
    samples: list[Sample] = []
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        begin = time.perf_counter()
        stop_at = begin + warmup + seconds
        await asyncio.gather(*(_citizen(session, target, u, run_id, stop_at, samples)
                               for u in range(concurrency)))
    measured = [s for s in samples if s.started >= begin + warmup]
    window = max(s.started + s.latency_ms / 1000 for s in measured) - (begin + warmup) \
        if measured else seconds
    result = summarize(measured, window)
    result["concurrency"] = concurrency
    result["sent"] = len(samples)
    return result


async def run_long(target: Target, turns: int, conversations: int, run_id: str) -> dict:
    """Latency per turn index over `conversations` sequential conversations of `turns` messages."""
    per_turn: list[list[float]] = [[] for _ in range(turns)]
    errors = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        for c in range(conversations):
            sender = f"bench-long-{run_id}-{c}"
            for i, text in enumerate(long_conversation(turns)):
                s = await send(session, target, sender, text)
                errors += not s.ok
                per_turn[i].append(s.latency_ms)
    window = 10
    first = [v for row in per_turn[:window] for v in row]
    last = [v for row in per_turn[-window:] for v in row]
    return {"turns": turns, "conversations": conversations, "errors": errors,
            "median_by_turn": [statistics.median(row) for row in per_turn],
            "first_p50": statistics.median(first), "last_p50": statistics.median(last),
            "window": window}


async def first_answer(target: Target, sender: str, text: str) -> bool:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        s = await send(session, target, sender, text)
        return s.ok and not s.empty
