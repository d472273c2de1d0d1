"""A replica's death under load: concurrent scripted conversations through the load balancer; one
Rasa replica is SIGKILLed once a share of the messages is answered and the balancer has a request
on it, then restarted.

Each citizen sends its script one message at a time with a `message_id` per message, and retries
a failed request with the same `message_id` (what the integrator guide asks of integrators) until it
gets a 200. Every attempt is recorded; `check()` compares them, the tracker store and the load
balancer's log against what must hold (see tests/deploy/test_replica_failover.py).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import aiohttp

from bench.conversations import LONG_CYCLE, SCRIPTS
from bench.topology import INTEGRATOR, Topology
from bot.channels.inputs import conversation_id as channel_conversation_id

RETRY_FOR_S = 400  # a message still failing after this long counts as lost
FINAL = {"zh": "谢谢", "en": "thanks"}
DYING_S = 1.0  # a SIGKILLed process's listening socket can take a moment to go
# Below the balancer's `timeout http-keep-alive` (docker/haproxy/haproxy.cfg, 10 s): a request sent
# on a connection the balancer is closing just then loses it (status 0) on a live replica.
CLIENT_KEEPALIVE_S = 5.0


@dataclass
class Attempt:
    message_id: str
    attempt: int
    status: int  # 0: no HTTP answer at all
    started: float
    ended: float
    polite: bool = False  # a non-200 whose body names the 12345 hotline
    error: str = ""  # status 0: the client's exception (connection lost, timeout)


@dataclass
class Run:
    scripts: dict[str, list[str]]
    attempts: list[Attempt] = field(default_factory=list)
    killed: str = ""
    killed_at: float = 0.0
    restarted_at: float = 0.0
    elapsed: float = 0.0

    def answered(self) -> int:
        return sum(a.status == 200 for a in self.attempts)


def make_scripts(run_id: str, conversations: int, turns: int) -> dict[str, list[str]]:
    """`turns` messages per conversation, cycling through the benchmark's scripts (mixed Chinese
    and English), ending with a thank-you that is sent after the killed replica is back."""
    scripts = {}
    for i in range(conversations):
        base = SCRIPTS[i % len(SCRIPTS)]
        body = [(base + LONG_CYCLE)[t % (len(base) + len(LONG_CYCLE))] for t in range(turns)]
        scripts[f"{run_id}-c{i:03d}"] = body + [FINAL["zh" if i % 2 else "en"]]
    return scripts


async def send(session: aiohttp.ClientSession, topo: Topology, sender: str, text: str,
               message_id: str, run: Run) -> None:
    """One message, retried with the same message_id until it is answered."""
    give_up = time.monotonic() + RETRY_FOR_S
    attempt = 0
    while True:
        attempt += 1
        started = time.monotonic()
        status, polite, error = 0, False, ""
        try:
            async with session.post(topo.webhook, json={"sender": sender, "message": text,
                                                        "message_id": message_id},
                                    headers={**topo.headers,
                                             "X-Request-Id": f"{message_id}.{attempt}"}) as resp:
                status = resp.status
                body = await resp.text()
                polite = status != 200 and "12345" in body
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = type(exc).__name__
        run.attempts.append(Attempt(message_id, attempt, status, started, time.monotonic(), polite,
                                    error))
        if status == 200 or time.monotonic() > give_up:
            return
        await asyncio.sleep(1.0)


async def citizen(session, topo: Topology, sender: str, script: list[str], run: Run,
                  back: asyncio.Event) -> None:
    for turn, text in enumerate(script):
        if turn == len(script) - 1:
            await back.wait()  # the last message goes out once the killed replica is serving again
        await send(session, topo, sender, text, f"{sender}-m{turn}", run)


async def killer(topo: Topology, run: Run, kill_after: int, back: asyncio.Event) -> None:
    try:
        while run.answered() < kill_after:
            await asyncio.sleep(0.05)
        await until_busy(topo, run.killed)
        run.killed_at = time.monotonic()
        topo.kill_replica(run.killed)
        await asyncio.sleep(2)  # a dead node is noticed, not restarted at once
        await asyncio.to_thread(topo.start_replica, run.killed)  # ready and back in the balancer
        run.restarted_at = time.monotonic()
    finally:
        back.set()  # never leave the citizens waiting, even if the restart failed


async def until_busy(topo: Topology, name: str, seconds: float = 15.0) -> None:
    """Until the balancer has a request on the replica, for at most `seconds`: the kill must cut
    one off (what the failover checks are about), and between two messages a replica can be idle
    at the moment the answered count is reached."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await asyncio.to_thread(topo.requests_on, name):
        await asyncio.sleep(0.01)


async def redis_outage(topo: Topology, run: Run, after: int, back: asyncio.Event,
                       down_s: float = 3.0) -> None:
    """The Rasa side's Redis dies (SIGKILL) and comes back empty `down_s` later."""
    try:
        while run.answered() < after:
            await asyncio.sleep(0.05)
        run.killed_at = time.monotonic()
        topo.kill_redis()
        await asyncio.sleep(down_s)
        topo.start_redis()
        run.restarted_at = time.monotonic()
    finally:
        back.set()


async def run_failover(topo: Topology, conversations: int, turns: int, kill_share: float = 0.35,
                       victim: str = "rasa2") -> Run:
    """`victim`: the replica to kill, or "redis" for a Redis outage (needs private_redis)."""
    run = Run(make_scripts(topo.run_id, conversations, turns), killed=victim)
    kill_after = int(conversations * turns * kill_share)
    fault = redis_outage if victim == "redis" else killer
    back = asyncio.Event()
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=CLIENT_KEEPALIVE_S)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        kill = asyncio.create_task(fault(topo, run, kill_after, back))
        await asyncio.gather(*(citizen(session, topo, s, script, run, back)
                               for s, script in run.scripts.items()), kill)
    run.elapsed = time.monotonic() - started
    return run


def in_flight_on_victim(run: Run, lb_log: list[dict]) -> set[str]:
    """Message ids whose request was on the killed replica when it died: those the balancer logged
    as sent there without an answer, and those whose attempt lost its connection at the kill (in
    flight then, or sent within DYING_S after it, while the dying process's socket still accepted)
    without the balancer logging it at a surviving replica. HAProxy 2.6 does not log every request
    a dying server cuts off; the client saw those fail at the kill."""
    logged = {e["attempt"]: e["replica"] for e in lb_log}
    on_victim = {entry["attempt"].rsplit(".", 1)[0] for entry in lb_log
                 if entry["replica"] == run.killed and entry["status"] not in range(200, 500)}
    cut_off = {a.message_id for a in run.attempts
               if a.status not in range(200, 500) and a.started <= run.killed_at + DYING_S
               and a.ended >= run.killed_at
               and logged.get(f"{a.message_id}.{a.attempt}", run.killed) == run.killed}
    return on_victim | cut_off


def conversation_id(sender: str) -> str:
    """The conversation the webhook files `sender` under (`rest:<integrator>:<sender>`)."""
    return channel_conversation_id("rest", INTEGRATOR, sender)
