"""Benchmark the data service's read endpoints under load on loopback (not a timed test).

Production-like: PostgreSQL + Redis, uvicorn with 2 workers, wrk as the load generator, cached reads.
Writes the figures to docs/performance.md between markers (or only prints them with --smoke).

    make bench            # full run (~1 minute)
    make bench-smoke      # tiny run proving the suite works (CI)
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import yaml  # noqa: E402

from bench.processes import free_port  # noqa: E402
from dataservice.settings import normalize_database_url  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
API_KEY = "bench-key"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- dataservice-bench:start -->", "<!-- dataservice-bench:end -->"
RESOLVE_QUERIES = [
    "护照", "passport", "居住证", "residence permit", "居住证积分", "换驾照", "driver's license renewal",
    "社保卡", "social security card", "公积金提取", "housing fund", "营业执照", "business license",
    "个体户", "工作许可", "work permit for foreigners", "港澳通行证", "HK Macau permit", "落户",
    "hukou", "出生登记", "结婚登记", "marriage", "失业金", "unemployment benefit", "医保报销",
    "medical insurance", "不动产登记", "property registration", "公租房", "public rental housing",
    "养老补贴", "残疾证", "小孩上学", "school enrollment", "退休金", "pension", "低保", "身份证",
    "ID card", "我想办 passport", "護照", "居住正",
]


def fresh_database(name: str) -> str:
    conninfo = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = normalize_database_url(PG_ADMIN)
    return base.rsplit("/", 1)[0] + "/" + name


def service_codes() -> list[str]:
    data = yaml.safe_load((ROOT / "dataservice/seed/data/services.yaml").read_text(encoding="utf-8"))
    return [row["code"] for row in data]


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("data service did not become ready")


def get(base: str, path: str) -> None:
    req = urllib.request.Request(base + path, headers={"X-API-Key": API_KEY})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200, (path, r.status)


def run_wrk(base: str, paths: list[str], connections: int, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(paths))
        paths_file = fh.name
    env = dict(os.environ, WRK_PATHS=paths_file, WRK_API_KEY=API_KEY)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-s", str(ROOT / "bench/wrk_paths.lua"), base]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    os.unlink(paths_file)
    return parse_wrk(out)


def _ms(value: str) -> float:
    num, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(num) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(out: str) -> dict:
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    n_err = int(errors.group(1)) if errors else 0
    if sock:
        n_err += sum(int(x) for x in sock.groups())
    return {"rps": rps, "p50": pct["50"], "p90": pct["90"], "p99": pct["99"], "requests": total,
            "errors": n_err}


def machine_facts() -> list[str]:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_kb = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return [f"CPU: {os.cpu_count()} cores, {cpu}", f"Memory: {mem_kb / 1024 / 1024:.1f} GiB",
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
            "Load generator: wrk 1 thread on the same machine (it shares the 2 cores with the server)"]


def start_service(database: str, workers: int) -> tuple[subprocess.Popen, str]:
    """A fresh PostgreSQL database, migrated and seeded, served by uvicorn: (process, base URL)."""
    db_url = fresh_database(database)
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=REDIS_URL, DATASERVICE_API_KEYS=API_KEY,
               DATASERVICE_CACHE_PREFIX=f"{database}{os.getpid()}")
    py = sys.executable
    print("==> migrating and seeding the benchmark database (PostgreSQL)", flush=True)
    for command in ("migrate", "seed"):
        subprocess.run([py, "-m", "dataservice", command], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen([py, "-m", "dataservice", "serve", "--workers", str(workers),
                               "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server, f"http://127.0.0.1:{port}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="tiny run, prints results, writes no docs")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=15)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is required: apt-get install wrk (Debian/Ubuntu)")
    seconds = 2 if args.smoke else args.seconds
    conc = [4] if args.smoke else [1, 8, 16, 32, 64]

    server, base = start_service("ds_bench", args.workers)
    results: dict[str, list[tuple[int, dict]]] = {}
    try:
        wait_ready(base)
        endpoints = {
            "GET /v1/services/{code}": [f"/v1/services/{c}?lang={lang}" for c in service_codes()
                                        for lang in ("zh", "en")],
            "GET /v1/services/resolve": ["/v1/services/resolve?q=" + urllib.parse.quote(q)
                                         for q in RESOLVE_QUERIES],
        }
        for name, paths in endpoints.items():
            for p in paths:  # warm: the target is for cached reads
                get(base, p)
            results[name] = []
            for c in conc:
                print(f"==> {name}: {c} connections, {seconds}s", flush=True)
                r = run_wrk(base, paths, c, seconds)
                print(f"    {r['rps']:.0f} req/s  p50 {r['p50']:.2f} ms  p99 {r['p99']:.2f} ms  "
                      f"errors {r['errors']}", flush=True)
                results[name].append((c, r))
    finally:
        server.terminate()
        server.wait(timeout=10)
    failed = [n for n, rows in results.items() for _c, r in rows if r["errors"]]
    if failed:
        print(f"FAIL: errors during load on {failed}")
        return 1
    if args.smoke:
        print("smoke run OK (figures above are not representative)")
        return 0
    write_report(results, seconds, args.workers)
    return 0


def write_report(results: dict, seconds: int, workers: int) -> None:
    lines = [START, "", "## Data service read endpoints",
             "", f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC with `make bench` "
             f"(`bench/dataservice_bench.py`): uvicorn with {workers} workers, PostgreSQL 15 and "
             f"Redis on loopback, cache warm, {seconds} s per row, request paths rotating over all "
             "codes/languages or over 43 realistic resolver queries.", "",
             "| endpoint | connections | requests/s | p50 ms | p90 ms | p99 ms | errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, rows in results.items():
        for c, r in rows:
            lines.append(f"| `{name}` | {c} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p90']:.2f} | "
                         f"{r['p99']:.2f} | {r['errors']} |")
    lines += ["", "Target (issue 2): at least 1,500 requests/s with p99 under 20 ms for cached reads."]
    for name, rows in results.items():
        ok = [(c, r) for c, r in rows if r["rps"] >= 1500 and r["p99"] < 20]
        if ok:
            c, r = max(ok, key=lambda cr: cr[1]["rps"])
            lines.append(f"- `{name}`: **met** at {c} connections ({r['rps']:.0f} req/s, p99 "
                         f"{r['p99']:.2f} ms).")
        else:
            lines.append(f"- `{name}`: **not met** in this run.")
    lines += ["",
              "Beyond about 8-16 connections both cores are saturated (two uvicorn workers plus wrk "
              "and Redis on 2 cores): throughput stays above the target but requests queue, so the "
              "tail grows with the number of connections; size replicas so that each runs below "
              "saturation.",
              "", "Machine:", *[f"- {f}" for f in machine_facts()], "", END]
    block = "\n".join(lines)
    text = DOC.read_text() if DOC.exists() else "# Performance\n\n"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)
    print(f"==> wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
