"""The production topology under load on this machine (make bench-topology):

1. Capacity: the same closed-loop load (bench/loadgen.py) through HAProxy to 1, 2 and 3 Rasa
   replicas (the others taken out of the balancer), with the CPU time every service spent per
   message: Rasa, the action servers, the data service, HAProxy, PostgreSQL and Redis.
2. Failover, full form: 30 concurrent conversations of 8 messages, one replica SIGKILLed after a
   third of them and restarted (the CI test does 3 messages).
3. Redis outage: the same conversations on a fresh topology whose Rasa side has a Redis of its
   own, killed after a third of the messages and back (empty) 3 s later.

--write-doc puts the figures into docs/deployment.md between its bench markers.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.failover import conversation_id, in_flight_on_victim, run_failover  # noqa: E402
from bench.loadgen import Target, run_load  # noqa: E402
from bench.systems import ROOT, tree_cpu_s  # noqa: E402
from bench.topology import Topology  # noqa: E402

DOC = ROOT / "docs" / "deployment.md"
BEGIN, END = "<!-- topology-bench:begin -->", "<!-- topology-bench:end -->"


def server_pid(name: str) -> int:
    """The oldest process of that name: PostgreSQL's postmaster (its backends are children),
    or redis-server. These servers are shared with other users of the machine."""
    procs = [p for p in psutil.process_iter(["name", "create_time"]) if p.info["name"] == name]
    if not procs:
        raise RuntimeError(f"{name} is not running")
    return min(procs, key=lambda p: p.info["create_time"]).pid


def service_pids(topo: Topology) -> dict[str, list[int]]:
    pids = topo.procs.pids()
    return {"rasa": [pid for n, pid in pids.items() if n.startswith("rasa")],
            "actions": [pid for n, pid in pids.items() if n.startswith("actions")],
            "dataservice": [pids["dataservice"]], "haproxy": [pids["haproxy"]],
            "postgresql": [server_pid("postgres")], "redis": [server_pid("redis-server")]}


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent on anything but idling, all cores together."""
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(tree_cpu_s(pid) for pid in group) for name, group in pids.items()}


async def capacity(topo: Topology, concurrency: int, seconds: float, warmup: float) -> list[dict]:
    target = Target("topology", topo.webhook, topo.headers)
    rows = []
    for active in range(1, topo.replicas + 1):
        topo.balance_over(active)
        await asyncio.sleep(2)
        pids = service_pids(topo)
        before, wall, machine, load = cpu(pids), time.monotonic(), machine_busy_s(), os.getloadavg()[0]
        result = await run_load(target, concurrency, seconds, warmup, f"{topo.run_id}-cap{active}")
        spent = {name: value - before[name] for name, value in cpu(pids).items()}
        wall = time.monotonic() - wall
        # The conditions of the row: the whole machine's busy cores (other people's work included)
        # and its 1-minute load average at the start and the end.
        result.update(machine_cores_busy=(machine_busy_s() - machine) / wall,
                      load=(load, os.getloadavg()[0]))
        result.update(replicas=active, cpu_s=spent, wall_s=wall,
                      cores_busy={n: s / wall for n, s in spent.items()},
                      cpu_ms_per_message={n: 1000 * s / result["sent"] for n, s in spent.items()})
        rows.append(result)
        print(json.dumps({k: result[k] for k in ("replicas", "rps", "p50", "p95", "errors")}), flush=True)
    topo.balance_over(topo.replicas)
    return rows


def failover_summary(run, lb_log: list[dict], stored: dict) -> dict:
    victims = in_flight_on_victim(run, lb_log) if run.killed != "redis" else set()
    failed = [a for a in run.attempts if a.status != 200]
    extra = 0
    for sender, script in run.scripts.items():
        users = [k[5:] for _, k in stored.get(conversation_id(sender), []) if k.startswith("user:")]
        extra += len(users) - len(script)
    failed_ids = {a.message_id for a in failed}
    waits = [max(a.ended for a in run.attempts if a.message_id == m) -
             min(a.started for a in run.attempts if a.message_id == m) for m in failed_ids]
    return {"fault": run.killed, "conversations": len(run.scripts),
            "messages": sum(map(len, run.scripts.values())), "in_flight_on_killed": len(victims),
            "failed_messages": len(failed_ids), "failed_attempts": len(failed),
            "failed_outside_killed": len(failed_ids - victims) if victims else None,
            "statuses": sorted({a.status for a in failed}),
            "impolite_answers": sum(1 for a in failed if a.status and not a.polite),
            "never_answered": len({f"{s}-m{t}" for s, sc in run.scripts.items() for t in range(len(sc))}
                                  - {a.message_id for a in run.attempts if a.status == 200}),
            "extra_stored": extra, "slowest_failed_message_answered_after_s": max(waits, default=0.0),
            "elapsed_s": run.elapsed}


def outcome_line(fo: dict) -> str:
    where = (f"{fo['in_flight_on_killed']} in flight on the killed replica, "
             f"{fo['failed_outside_killed']} failed messages outside them; "
             if fo["fault"] != "redis" else "")
    return (f"{fo['conversations']} conversations, {fo['messages']} messages; {where}"
            f"{fo['failed_messages']} messages needed retries ({fo['failed_attempts']} failed attempts, "
            f"statuses {fo['statuses']} (0 = connection lost), {fo['impolite_answers']} answers "
            f"without the polite reply); {fo['never_answered']} never answered; "
            f"{fo['extra_stored']} user messages stored twice; the slowest of them answered after "
            f"{fo['slowest_failed_message_answered_after_s']:.0f} s; run {fo['elapsed_s']:.0f} s.")


def markdown(cap: list[dict], outcomes: dict[str, dict], args) -> str:
    services = list(cap[0]["cpu_ms_per_message"])
    lines = [f"Measured by `make bench-topology` ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
             f"{psutil.cpu_count()} cores shared with other work; {args.concurrency} citizens, "
             f"{args.seconds:.0f} s after {args.warmup:.0f} s warm-up per row).", "",
             "| Rasa replicas | messages/s | p50 ms | p95 ms | errors | "
             + " | ".join(f"{s} CPU ms/msg" for s in services) + " |",
             "|---" * (5 + len(services)) + "|"]
    for r in cap:
        lines.append(f"| {r['replicas']} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | "
                     f"{r['errors']} | " + " | ".join(f"{r['cpu_ms_per_message'][s]:.1f}" for s in services) + " |")
    lines += ["", "Cores busy during each row (CPU seconds / wall seconds), and the conditions: the whole "
              "machine's busy cores (everyone's work) and its 1-minute load average at the row's start "
              "and end:", "",
              "| Rasa replicas | " + " | ".join(services) + " | whole machine | load average |",
              "|---" * (3 + len(services)) + "|"]
    for r in cap:
        lines.append(f"| {r['replicas']} | " + " | ".join(f"{r['cores_busy'][s]:.2f}" for s in services)
                     + f" | {r['machine_cores_busy']:.2f} | {r['load'][0]:.1f} → {r['load'][1]:.1f} |")
    lines += [""] + [f"- {title}: {outcome_line(fo)}" for title, fo in outcomes.items()]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text()
    doc = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: f"{BEGIN}\n{text}\n{END}",
                 doc, flags=re.S)
    DOC.write_text(doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--only-redis", action="store_true", help="only the Redis outage run")
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    out = ROOT / "bench" / "results" / "topology.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    if not args.only_redis:
        topo = Topology(replicas=3, action_servers=2)
        topo.start()
        try:
            results["capacity"] = asyncio.run(capacity(topo, args.concurrency, args.seconds, args.warmup))
            run = asyncio.run(run_failover(topo, 30, args.turns))
            results["replica"] = failover_summary(run, topo.lb_log(), topo.stored_user_messages())
        finally:
            topo.stop()
    topo = Topology(replicas=3, action_servers=2, private_redis=True)
    topo.start()
    try:
        run = asyncio.run(run_failover(topo, 30, args.turns, victim="redis"))
        results["redis"] = failover_summary(run, topo.lb_log(), topo.stored_user_messages())
    finally:
        topo.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    text = markdown(results["capacity"], {"Replica killed (full form)": results["replica"],
                                          "Redis killed, back empty 3 s later": results["redis"]}, args)
    print(text)
    if args.write_doc:
        write_doc(text)


if __name__ == "__main__":
    main()
