"""Fault runs: no answered message lost or stored twice while the backend's parts fail.

    .venv/rasa/bin/python bench/fault_runs.py                 # every fault, 20 conversations x 6
    .venv/rasa/bin/python bench/fault_runs.py --turns 3 --faults postgres,actions

The backend runs in its production configuration on loopback (bench/systems.py: data service on
PostgreSQL + Redis, action server, Rasa with SANIC_WORKERS=2, the PostgreSQL tracker store and the
Redis lock store). For each fault, `--conversations` citizens talk at the same time through the
integrator webhook, every message with a `message_id`, while the fault is injected again and again:

- postgres:    the tracker database's connections terminated (pg_terminate_backend) in a loop;
- postgres-outage: the tracker database refusing connections for 2.5 s at a time, longer than
               the store retries (the store must then answer 503, never 200);
- redis:       Redis paused (CLIENT PAUSE) for a few seconds at a time;
- actions:     the action server stalled (SIGSTOP, then SIGCONT);
- dataservice: the data service killed (SIGKILL) and restarted.

A citizen's integrator retries a message with the same `message_id` until it gets a 200. The run
then reads the tracker store: every message answered 200 must be stored exactly once, in order,
and every other answer must have been a retryable error (503, 429, 409). A client-side timeout
(no answer within `--timeout`) is counted apart and retried the same way.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psycopg2
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.conversations import SCRIPTS  # noqa: E402
from bench.processes import wait_http  # noqa: E402
from bench.systems import REDIS_BASE, TOKEN, CityBackend  # noqa: E402

MODEL = ROOT / "models" / "shanghai-assistant.tar.gz"
FAULTS = ("postgres", "postgres-outage", "redis", "actions", "dataservice")
RETRYABLE = {503, 429, 409}
# Below Sanic's keep-alive (5 s, Rasa's server): a message sent on a connection Sanic is closing
# just then is lost in transit and would be counted as a timeout that the backend did not cause.
CLIENT_KEEPALIVE_S = 2.0


@dataclass
class Tally:
    requests: int = 0
    answered: int = 0  # 200s
    retryable: Counter = field(default_factory=Counter)
    timeouts: int = 0
    unexpected: Counter = field(default_factory=Counter)
    given_up: int = 0
    injected: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0

    @property
    def ok(self) -> bool:
        return not (self.unexpected or self.given_up or self.lost or self.duplicated
                    or self.out_of_order) and self.injected > 0


def messages_of(conversation: int, turns: int) -> list[str]:
    script = SCRIPTS[conversation % len(SCRIPTS)]
    return [script[i % len(script)] for i in range(turns)]


async def converse(session: aiohttp.ClientSession, backend: CityBackend, sender: str,
                   texts: list[str], tally: Tally, answered: list[str], timeout: float,
                   patience: float) -> None:
    """One citizen: each message sent until answered 200, with the same message_id."""
    for turn, text in enumerate(texts):
        message_id = f"{sender}-{turn}"
        body = {"sender": sender, "message": text, "message_id": message_id,
                "metadata": {"trace": message_id}}
        give_up_at = time.monotonic() + patience
        delay = 0.2
        while True:
            tally.requests += 1
            try:
                async with session.post(backend.webhook, json=body, headers=backend.headers,
                                        timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                    await resp.read()
                    status = resp.status
            except (asyncio.TimeoutError, aiohttp.ClientError):
                status = None
            if status == 200:
                tally.answered += 1
                answered.append(message_id)
                break
            if status is None:
                tally.timeouts += 1
            elif status in RETRYABLE:
                tally.retryable[status] += 1
            else:
                tally.unexpected[status] += 1
            if time.monotonic() > give_up_at:
                tally.given_up += 1
                return  # the later messages of this citizen are not sent
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


# -- faults: each loops until `stop` is set and returns how many times it struck ----------------

async def terminate_tracker_connections(backend: CityBackend, stop: asyncio.Event) -> int:
    db = backend.env["TRACKER_STORE_URL"].rsplit("/", 1)[1]

    def terminate() -> int:
        with closing(psycopg2.connect(backend.env["TRACKER_STORE_URL"])) as conn:
            conn.autocommit = True
            cur = conn.cursor()
            cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (db,))
            return cur.fetchone()[0]

    struck = 0
    while not stop.is_set():
        struck += await asyncio.to_thread(terminate)
        await asyncio.sleep(0.3)
    return struck


async def refuse_tracker_connections(backend: CityBackend, stop: asyncio.Event,
                                     down: float = 2.5) -> int:
    """A tracker database outage longer than the store's retries: no new connection accepted
    (ALLOW_CONNECTIONS false) and the open ones terminated, then back after `down` seconds."""
    url = backend.env["TRACKER_STORE_URL"]
    db = url.rsplit("/", 1)[1]

    def execute(*statements: str) -> None:
        with closing(psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")) as conn:
            conn.autocommit = True
            for statement in statements:
                conn.cursor().execute(statement, (db,) if "%s" in statement else None)

    struck = 0
    while not stop.is_set():
        await asyncio.to_thread(
            execute, f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s")
        struck += 1
        try:
            await asyncio.sleep(down)
        finally:
            await asyncio.to_thread(execute, f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS true')
        await asyncio.sleep(3)
    return struck


async def pause_redis(backend: CityBackend, stop: asyncio.Event, pause_ms: int = 3000) -> int:
    """CLIENT PAUSE stops every client of this Redis server (not just this run's database) for
    `pause_ms`: kept short, with a pause-free gap after each."""
    client = redis.Redis.from_url(f"{REDIS_BASE}/13")
    struck = 0
    while not stop.is_set():
        client.execute_command("CLIENT", "PAUSE", pause_ms, "ALL")
        struck += 1
        await asyncio.sleep(pause_ms / 1000 + 3)
    client.close()
    return struck


async def stall_action_server(backend: CityBackend, stop: asyncio.Event, stall: float = 4) -> int:
    pid = backend.procs.procs["action server"].pid
    struck = 0
    while not stop.is_set():
        os.kill(pid, signal.SIGSTOP)
        struck += 1
        try:
            await asyncio.sleep(stall)
        finally:
            os.kill(pid, signal.SIGCONT)
        await asyncio.sleep(2)
    return struck


async def kill_data_service(backend: CityBackend, stop: asyncio.Event, down: float = 2) -> int:
    struck = 0
    while not stop.is_set():
        proc = backend.procs.procs.pop("data service")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        struck += 1
        await asyncio.sleep(down)
        await asyncio.to_thread(backend.start_dataservice)
        await asyncio.sleep(3)
    return struck


INJECTORS = {"postgres": terminate_tracker_connections,
             "postgres-outage": refuse_tracker_connections, "redis": pause_redis,
             "actions": stall_action_server, "dataservice": kill_data_service}


def stored_traces(backend: CityBackend, senders: list[str]) -> dict[str, list[str]]:
    """The message_ids of the user messages the tracker store holds, per sender, in stored order."""
    with closing(psycopg2.connect(backend.env["TRACKER_STORE_URL"])) as conn:
        cur = conn.cursor()
        cur.execute("SELECT sender_id, data FROM events WHERE type_name = 'user' "
                    "AND sender_id = ANY(%s) ORDER BY id", ([f"rest:bench:{s}" for s in senders],))
        traces: dict[str, list[str]] = {s: [] for s in senders}
        for sender_id, data in cur.fetchall():
            trace = (json.loads(data).get("metadata") or {}).get("trace")
            if trace:
                traces[sender_id.split(":", 2)[2]].append(trace)
    return traces


def check(tally: Tally, answered: dict[str, list[str]], stored: dict[str, list[str]]) -> None:
    for sender, ids in answered.items():
        held = stored[sender]
        counts = Counter(held)
        tally.lost += sum(1 for i in ids if counts[i] == 0)
        tally.duplicated += sum(n - 1 for n in counts.values() if n > 1)
        first_seen = list(dict.fromkeys(held))
        tally.out_of_order += int([i for i in first_seen if i in ids] != ids)


async def fault_run(backend: CityBackend, fault: str, conversations: int, turns: int,
                    timeout: float, patience: float) -> Tally:
    tally = Tally()
    run = uuid.uuid4().hex[:6]
    senders = [f"fault-{fault}-{run}-{n}" for n in range(conversations)]
    answered: dict[str, list[str]] = {s: [] for s in senders}
    stop = asyncio.Event()
    injector = asyncio.create_task(INJECTORS[fault](backend, stop))
    await asyncio.sleep(0.5)  # the fault strikes from the first messages on
    connector = aiohttp.TCPConnector(keepalive_timeout=CLIENT_KEEPALIVE_S)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(converse(session, backend, s, messages_of(n, turns), tally,
                                        answered[s], timeout, patience)
                               for n, s in enumerate(senders)))
    stop.set()
    tally.injected = await injector
    check(tally, answered, stored_traces(backend, senders))
    return tally


def start_backend(workdir: Path) -> CityBackend:
    backend = CityBackend(workdir, MODEL, rasa_workers=2, ds_workers=1,
                          run_suffix=f"_fault_{os.getpid()}")
    backend.start_support()
    backend.env["INTEGRATOR_REDIS_PREFIX"] = f"fault{os.getpid()}:integrator:"
    proc = backend.start_rasa()
    wait_http(f"http://127.0.0.1:{backend.rasa_port}/status?token={TOKEN}", 600, proc,
              workdir / "rasa.log")
    return backend


async def warm_up(backend: CityBackend) -> None:
    """Both Sanic workers loaded and answering before any fault strikes."""
    async with aiohttp.ClientSession() as session:
        for n in range(8):
            body = {"sender": f"warm-{uuid.uuid4().hex[:8]}", "message": "你好"}
            async with session.post(backend.webhook, json=body, headers=backend.headers,
                                    timeout=aiohttp.ClientTimeout(total=120)) as resp:
                await resp.read()


def table(results: dict[str, Tally]) -> str:
    lines = ["| fault | requests | 200 | retryable errors (503/429/409) | client timeouts | "
             "other answers | lost | duplicated | out of order | faults injected |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for fault, t in results.items():
        retry = "/".join(str(t.retryable[s]) for s in (503, 429, 409))
        other = sum(t.unexpected.values()) + t.given_up
        lines.append(f"| {fault} | {t.requests} | {t.answered} | {retry} | {t.timeouts} | "
                     f"{other} | {t.lost} | {t.duplicated} | {t.out_of_order} | {t.injected} |")
    return "\n".join(lines)


def run(faults: list[str], conversations: int, turns: int, timeout: float = 30,
        patience: float = 120) -> dict[str, Tally]:
    with tempfile.TemporaryDirectory(prefix="fault-runs-") as tmp:
        backend = start_backend(Path(tmp))
        try:
            asyncio.run(warm_up(backend))
            return {fault: asyncio.run(fault_run(backend, fault, conversations, turns, timeout,
                                                 patience)) for fault in faults}
        finally:
            backend.stop()
            drop_databases(backend)


def drop_databases(backend: CityBackend) -> None:
    urls = [backend.env.get("TRACKER_STORE_URL"), backend.dataservice_database_url]
    for url in filter(None, urls):
        base, name = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)
        with closing(psycopg2.connect(base + "/postgres")) as conn:
            conn.autocommit = True
            conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=30, help="client timeout per request (s)")
    args = parser.parse_args()
    faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(sorted(unknown))}; choose from {FAULTS}")
    results = run(faults, args.conversations, args.turns, args.timeout)
    print(table(results))
    failed = [f for f, t in results.items() if not t.ok]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
