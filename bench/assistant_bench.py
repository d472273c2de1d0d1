"""The assistant benchmark: this backend against stock Rasa 3.6 (`rasa init`) in the same run.

    make bench                 # everything, writes docs/performance.md and docs/perf/*.png (~25 min)
    make bench-smoke           # tiny load on this backend only, proves the suite works (CI)
    .venv/rasa/bin/python bench/assistant_bench.py --help

Both systems get the same load generator (bench/loadgen.py) and the same scripted, mixed
Chinese/English conversations (bench/conversations.py) on loopback. This backend runs in its
production configuration (bench/systems.py); stock Rasa runs as `rasa init` leaves it.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report, training  # noqa: E402
from bench.loadgen import Target, first_answer, run_load, run_long  # noqa: E402
from bench.systems import CityBackend, PeakMemory, StockRasa, tree_cpu_s  # noqa: E402

MODEL = ROOT / "models" / "shanghai-assistant.tar.gz"


def cold_start(system, timeout: float = 600) -> float:
    """Seconds from starting the Rasa server process to its first answered message."""
    target = Target(system.name, system.webhook, system.headers)
    started = time.perf_counter()
    proc = system.start_rasa()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{system.name}: Rasa exited during start-up (see its log)")
        try:
            # A greeting both assistants answer: stock Rasa's scaffold knows no Chinese, and one
            # training of it answered "你好" where another answered nothing at all.
            if asyncio.run(first_answer(target, f"cold-{uuid.uuid4().hex[:8]}", "hello")):
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{system.name}: no answer within {timeout}s")


def settle(system, timeout: float = 90) -> None:
    """Wait until the system is idle: the first worker answers while others may still load."""
    pids = system.procs.pids()
    deadline = time.monotonic() + timeout
    before = sum(tree_cpu_s(pid) for pid in pids.values())
    while time.monotonic() < deadline:
        time.sleep(1)
        now = sum(tree_cpu_s(pid) for pid in pids.values())
        if now - before < 0.1:  # under a tenth of a core for a second
            return
        before = now


def measure(system, args, run_id: str) -> dict:
    print(f"==> {system.name}: starting", flush=True)
    system.start_support()
    try:
        result = {"cold_start_s": cold_start(system)}
        print(f"    cold start {result['cold_start_s']:.1f} s", flush=True)
        settle(system)
        target = Target(system.name, system.webhook, system.headers)
        result["load"] = []
        with PeakMemory(system.procs.pids()) as mem:
            for c in args.concurrency:
                pids = system.procs.pids()
                cpu_before = {name: tree_cpu_s(pid) for name, pid in pids.items()}
                load_average = os.getloadavg()[0]  # the machine is shared: say how busy it was
                r = asyncio.run(run_load(target, c, args.seconds, args.warmup, f"{run_id}-{c}"))
                r["load_average"] = load_average
                # CPU per message over warm-up and measurement alike (both are the same load)
                sent = max(1, r["sent"])
                r["cpu_ms_per_message"] = {name: (tree_cpu_s(pid) - cpu_before[name]) * 1000 / sent
                                           for name, pid in pids.items()}
                print(f"    c={c:<3} {r['rps']:6.1f} msg/s  p50 {r['p50']:7.1f}  p95 {r['p95']:7.1f}  "
                      f"p99 {r['p99']:7.1f} ms  errors {r['errors']}  empty {r['empty']}  CPU ms/msg "
                      + ", ".join(f"{k} {v:.1f}" for k, v in r["cpu_ms_per_message"].items()),
                      flush=True)
                result["load"].append(r)
        result["memory_mb"] = dict(mem.peak)
        print(f"    peak memory under load (MB): "
              + ", ".join(f"{k} {v:.0f}" for k, v in mem.peak.items()), flush=True)
        long = asyncio.run(run_long(target, args.turns, args.long_conversations, run_id))
        print(f"    turn 1-{long['window']} p50 {long['first_p50']:.1f} ms, turn "
              f"{args.turns - long['window'] + 1}-{args.turns} p50 {long['last_p50']:.1f} ms, "
              f"errors {long['errors']}", flush=True)
        result["long"] = long
        result["logged_errors"] = system.logged_errors()
        if result["logged_errors"]:
            print(f"    {result['logged_errors']} ERROR lines in the logs", flush=True)
        return result
    finally:
        system.stop()


def nlu_quality(workdir: Path) -> dict:
    out = workdir / "nlu.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "nlu_eval.py"), "--model", str(MODEL),
                    "--json", str(out)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL,
                   env=dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3"))
    return json.loads(out.read_text())


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny load on this backend only; no stock Rasa, no training, no docs")
    ap.add_argument("--no-stock", action="store_true", help="skip the stock Rasa baseline")
    ap.add_argument("--skip-training", action="store_true", help="skip the training measurements")
    ap.add_argument("--skip-nlu", action="store_true", help="skip the NLU quality figures")
    ap.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    ap.add_argument("--seconds", type=float, default=40, help="measured seconds per concurrency")
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--turns", type=int, default=200)
    ap.add_argument("--long-conversations", type=int, default=3)
    ap.add_argument("--rasa-workers", type=int, default=int(os.environ.get("BENCH_RASA_WORKERS", 2)))
    ap.add_argument("--ds-workers", type=int, default=1)
    ap.add_argument("--workdir", help="keep logs and the stock project here (default: a temp dir)")
    ap.add_argument("--write-doc", action="store_true", help="write docs/performance.md and plots")
    args = ap.parse_args()
    if args.smoke:
        args.no_stock = args.skip_training = args.skip_nlu = True
        args.concurrency, args.seconds, args.warmup = [1, 4], 3, 1
        args.turns, args.long_conversations, args.write_doc = 12, 1, False
    return args


def main() -> int:
    args = parse_args()
    if not MODEL.exists():
        raise SystemExit(f"no trained model at {MODEL}: run `make train`")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="assistant-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"==> logs in {workdir}", flush=True)
    run_id = uuid.uuid4().hex[:8]
    results: dict = {"args": {k: v for k, v in vars(args).items()}, "systems": {}}

    stock = None if args.no_stock else StockRasa(workdir)
    if stock:
        print("==> stock Rasa: `rasa init` scaffold, training", flush=True)
        stock.scaffold()
        if args.skip_training:  # still needs a model, only not its figures
            training.timed([str(training.RASA_BIN / "rasa"), "train"], stock.project,
                           workdir / "train-stock.log")
        else:
            results["training_stock"] = training.measure_stock(stock.project, workdir)
    if not args.skip_training:
        print("==> this backend: training in a copy of the project", flush=True)
        results["training_city"] = training.measure_city(workdir)

    city = CityBackend(workdir, MODEL, args.rasa_workers, args.ds_workers)
    results["systems"]["city"] = measure(city, args, run_id)
    if stock:
        results["systems"]["stock"] = measure(stock, args, run_id)
    if not args.skip_nlu:
        print("==> NLU quality (held-out split, CLINC150 oos_val)", flush=True)
        results["nlu"] = nlu_quality(workdir)

    (workdir / "results.json").write_text(json.dumps(results, indent=2))
    errors = sum(r["errors"] for s in results["systems"].values() for r in s["load"]) + \
        sum(s["long"]["errors"] + s["logged_errors"] for s in results["systems"].values())
    if args.write_doc:
        report.write(results)
    if errors:
        print(f"FAIL: {errors} failed messages (see logs in {workdir})")
        return 1
    if args.smoke:
        print("smoke run OK (figures from a tiny load are not representative)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
