"""docs/performance.md (the assistant section, between markers) and the PNG plots in docs/perf/."""
from __future__ import annotations

import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
PLOTS = ROOT / "docs" / "perf"
START, END = "<!-- assistant-bench:start -->", "<!-- assistant-bench:end -->"


def machine_facts() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown")
    mem_kb = next((int(line.split()[1]) for line in open("/proc/meminfo")
                   if line.startswith("MemTotal")), 0)
    return [f"CPU: {os.cpu_count()} cores, {cpu}", f"Memory: {mem_kb / 2**20:.1f} GiB",
            f"Python {platform.python_version()} (Rasa 3.6.21), {platform.system()} "
            f"{platform.release()}",
            "Load generator: bench/loadgen.py (aiohttp, closed loop) on the same machine: it shares "
            "the 2 cores with the systems under test, equally for both"]


def plot(results: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(parents=True, exist_ok=True)
    systems = results["systems"]
    labels = {"city": "this backend", "stock": "stock Rasa 3.6 (rasa init)"}
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for key, s in systems.items():
        conc = [r["concurrency"] for r in s["load"]]
        for p, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
            ax.plot(conc, [r[p] for r in s["load"]], style, marker="o",
                    color="tab:blue" if key == "city" else "tab:red", label=f"{labels[key]} {p}")
    ax.set(xscale="log", yscale="log", xlabel="concurrent conversations",
           ylabel="latency per message (ms)", title="Latency percentiles vs. concurrency")
    ax.set_xticks([r["concurrency"] for r in systems["city"]["load"]])
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(PLOTS / "latency-vs-concurrency.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for key, s in systems.items():
        med = s["long"]["median_by_turn"]
        ax.plot(range(1, len(med) + 1), med, color="tab:blue" if key == "city" else "tab:red",
                label=labels[key], linewidth=1)
    ax.set(xlabel="turn of the conversation", ylabel="median latency (ms)",
           title="Latency vs. conversation length (concurrency 1)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(PLOTS / "latency-vs-turn.png", dpi=110)
    plt.close(fig)
    return ["perf/latency-vs-concurrency.png", "perf/latency-vs-turn.png"]


_CPU_COLUMNS = ["rasa server", "action server", "data service"]


def _load_row(name: str, r: dict) -> str:
    load = f"{r['load_average']:.1f}" if "load_average" in r else "—"
    return (f"| {name} | {r['concurrency']} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | "
            f"{r['p99']:.0f} | {r['errors']} | {load} |")


def _by_conc(s: dict, c: int) -> dict | None:
    return next((r for r in s["load"] if r["concurrency"] == c), None)


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    city, stock = results["systems"]["city"], results["systems"].get("stock")
    rows: list[tuple[str, str, bool | None]] = []
    for c in (8, 32):  # issue 14's targets
        ours, theirs = _by_conc(city, c), stock and _by_conc(stock, c)
        if ours and theirs:
            ratio = ours["rps"] / theirs["rps"]
            rows.append((f"throughput at concurrency {c} ≥ 2x stock",
                         f"{ours['rps']:.1f} vs {theirs['rps']:.1f} msg/s = {ratio:.1f}x",
                         ratio >= 2))
    c1, s1 = _by_conc(city, 1), stock and _by_conc(stock, 1)
    if c1 and s1:
        rows.append(("median latency at concurrency 1 ≤ stock",
                     f"{c1['p50']:.0f} vs {s1['p50']:.0f} ms", c1["p50"] <= s1["p50"]))
    c8 = _by_conc(city, 8)
    if c8:
        rows.append(("p95 at concurrency 8 < 300 ms", f"{c8['p95']:.0f} ms", c8["p95"] < 300))
    lg = city["long"]
    ratio = lg["last_p50"] / lg["first_p50"]
    rows.append((f"turn-{lg['turns']} median ≤ 1.2x turn-1",
                 f"{lg['last_p50']:.0f} vs {lg['first_p50']:.0f} ms = {ratio:.2f}x", ratio <= 1.2))
    if stock:
        ratio = city["cold_start_s"] / stock["cold_start_s"]
        rows.append(("cold start ≤ 0.3x stock", f"{city['cold_start_s']:.1f} vs "
                     f"{stock['cold_start_s']:.1f} s = {ratio:.2f}x", ratio <= 0.3))
    rasa_mb = city["memory_mb"].get("rasa server", 0)
    rows.append(("Rasa server memory < 1.2 GB", f"{rasa_mb:.0f} MB (all workers)", rasa_mb < 1200))
    nlu = results.get("nlu")
    if nlu:
        acc = nlu["accuracy"]
        rows.append(("NLU: no loss against the assistant issue's figures",
                     f"held-out zh {acc['zh']:.1%}, en {acc['en']:.1%}; oos_val recall "
                     f"{nlu['oos_val_recall']:.1%}; in-scope rejected {nlu['in_scope_rejected']:.1%}",
                     None))
    return rows


def render(results: dict, plots: list[str]) -> str:
    a = results["args"]
    city, stock = results["systems"]["city"], results["systems"].get("stock")
    lines = [START, "", "## The assistant against stock Rasa", "",
             f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC with "
             + ("the assistant part of `make bench` without training (`bench/assistant_bench.py "
                "--skip-training --write-doc`)" if a.get("skip_training") else
                "`make bench` (`bench/assistant_bench.py --write-doc`)")
             + "; raw figures in the run's `results.json`.",
             "",
             f"- **This backend**, production configuration: Rasa with {a['rasa_workers']} Sanic "
             "workers, PostgreSQL tracker store, Redis lock store, RabbitMQ event broker, the "
             f"authenticated integrator webhook; action server; data service ({a['ds_workers']} uvicorn worker) on "
             "PostgreSQL + Redis.",
             "- **Stock Rasa 3.6.21**: the assistant `rasa init` creates (its default config with "
             "DIET and TED, REST channel, in-memory tracker and lock stores), trained in a temporary "
             "folder.",
             f"- Load: bench/conversations.py — 8 scripted conversations, mixed Chinese and English, "
             "most turns answered from the data service (catalogue, centres and today's hours, "
             "garbage sorting, the 12345 form). Each virtual citizen waits for the answer before "
             f"its next message; {a['seconds']:.0f} s measured per row after {a['warmup']:.0f} s "
             "of warm-up. Stock Rasa gets the same messages and answers them with its own replies.",
             "", "### Targets", "", "| target | measured | |", "|---|---|---|"]
    for name, measured, ok in targets(results):
        verdict = "—" if ok is None else ("**met**" if ok else "**missed**")
        lines.append(f"| {name} | {measured} | {verdict} |")
    lines += ["", "### Throughput and latency", "",
              "| system | concurrency | messages/s | p50 ms | p95 ms | p99 ms | errors | "
              "machine load before |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for key, name in (("city", "this backend"), ("stock", "stock Rasa")):
        for r in results["systems"].get(key, {}).get("load", []):
            lines.append(_load_row(name, r))
    if stock:
        lines += ["", "| concurrency | throughput ratio | p50 ratio (stock / ours) |", "|---:|---:|---:|"]
        for r in city["load"]:
            s = _by_conc(stock, r["concurrency"])
            if s:
                lines.append(f"| {r['concurrency']} | {r['rps'] / s['rps']:.1f}x | "
                             f"{s['p50'] / r['p50']:.1f}x |")
    lines += ["", "CPU time per message, by process, at the highest concurrency (ms; user + system, "
              "all workers):", "", "| system | " + " | ".join(_CPU_COLUMNS) + " | total |",
              "|---|" + "---:|" * (len(_CPU_COLUMNS) + 1)]
    for key, name in (("city", "this backend"), ("stock", "stock Rasa")):
        s = results["systems"].get(key)
        if s and s["load"] and "cpu_ms_per_message" in s["load"][-1]:
            cpu = s["load"][-1]["cpu_ms_per_message"]
            lines.append(f"| {name} | " + " | ".join(f"{cpu[c]:.1f}" if c in cpu else "—"
                                                   for c in _CPU_COLUMNS)
                         + f" | {sum(cpu.values()):.1f} |")
    lines += ["", "Errors: " + "; ".join(
        f"{'this backend' if key == 'city' else 'stock Rasa'} {sum(r['errors'] for r in s['load'])} "
        f"failed requests, {s['long']['errors']} in the long conversations, "
        f"{s.get('logged_errors', 0)} ERROR lines in its logs"
        for key, s in results["systems"].items()) + "."]
    lines += ["", f"![latency vs concurrency]({plots[0]})" if plots else "", "",
              "### Conversation length", "",
              f"{a['long_conversations']} conversations of {a['turns']} turns each, one after the "
              "other (concurrency 1), cycling through the same 10 messages; median latency of the "
              "first and the last 10 turns.", "",
              "| system | turns 1-10 p50 ms | last 10 turns p50 ms | ratio |", "|---|---:|---:|---:|"]
    for key, name in (("city", "this backend"), ("stock", "stock Rasa")):
        s = results["systems"].get(key)
        if s:
            lg = s["long"]
            lines.append(f"| {name} | {lg['first_p50']:.0f} | {lg['last_p50']:.0f} | "
                         f"{lg['last_p50'] / lg['first_p50']:.2f}x |")
    lines += ["", f"![latency vs turn]({plots[1]})" if plots else "", "",
              "### Start-up, memory, training", "",
              "| measure | this backend | stock Rasa |", "|---|---:|---:|",
              f"| cold start: Rasa process start to first answer | {city['cold_start_s']:.1f} s | "
              + (f"{stock['cold_start_s']:.1f} s |" if stock else "— |")]
    for proc, mb in city["memory_mb"].items():
        stock_mb = stock["memory_mb"].get(proc) if stock else None
        lines.append(f"| peak memory under load (PSS): {proc} | {mb:.0f} MB | "
                     + (f"{stock_mb:.0f} MB |" if stock_mb else "— |"))
    tc, ts = results.get("training_city"), results.get("training_stock")
    if tc:
        for phase, label in (("full", "full training (empty cache)"),
                             ("retrain", "retraining after adding 10 NLU examples")):
            lines.append(f"| {label} | {tc[phase]['seconds']:.0f} s, peak {tc[phase]['peak_mb']:.0f} MB"
                         f" | " + (f"{ts[phase]['seconds']:.0f} s, peak {ts[phase]['peak_mb']:.0f} MB |"
                                   if ts else "— |"))
    nlu = results.get("nlu")
    if nlu:
        lines += ["", "### NLU quality of the benchmarked model", "",
                  f"Held-out intent accuracy zh {nlu['accuracy']['zh']:.1%}, en "
                  f"{nlu['accuracy']['en']:.1%}; CLINC150 oos_val recall {nlu['oos_val_recall']:.1%}; "
                  f"in-scope held-out messages rejected {nlu['in_scope_rejected']:.1%} "
                  "(details: docs/nlu-evaluation.md)."]
    lines += ["", "Machine:", *[f"- {f}" for f in machine_facts()], "", END]
    return "\n".join(lines)


def write(results: dict) -> None:
    plots = plot(results)
    block = render(results, plots)
    text = DOC.read_text() if DOC.exists() else "# Performance\n\n"
    if START in text and END in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)
    print(f"==> wrote {DOC.relative_to(ROOT)} and {', '.join(plots)}")
