"""The channels' security figures, against this backend in its production configuration
(bench/systems.py: PostgreSQL tracker store, Redis, two Sanic workers), quoted in
docs/security.md ("Channels"):

1. oversized bodies: six requests declaring 95 MB to each channel route (WeChat unsigned, WeChat
   signed, socket.io polling, integrator webhook), each sending 2 MB of it: status, time to the
   answer, and the Rasa process tree's memory before and after;
2. schemathesis over the integrator webhook's OpenAPI document (the long form of the CI run in
   tests/bot/test_integrator_webhook.py). It passes when no response is a server error and every
   status code, content type, header and body is the one the document promises.

    .venv/rasa/bin/python bench/channel_security.py [--max-examples 200] [--seed 20261202]
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.processes import wait_http  # noqa: E402
from bench.systems import INTEGRATOR_KEY, CityBackend, tree_pss_mb  # noqa: E402
from tests.bot.channel_harness import oversized_post  # noqa: E402
from tests.bot.wechat_support import WeChat  # noqa: E402  (WeChat's signing, from wechatpy)

MODEL = ROOT / "models" / "shanghai-assistant.tar.gz"
SCHEMATHESIS = ROOT / ".venv" / "dataservice" / "bin" / "schemathesis"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


WECHAT_TOKEN = "bench-wechat-token"
DECLARED = 95_000_000


def body_probes(port: int, rasa_pid: int) -> list[str]:
    wechat = WeChat(f"http://127.0.0.1:{port}/webhooks/wechat/webhook", token=WECHAT_TOKEN)
    routes = {
        "WeChat, unsigned": lambda: "/webhooks/wechat/webhook",
        "WeChat, signed": lambda: "/webhooks/wechat/webhook?" + "&".join(
            f"{k}={v}" for k, v in wechat.params().items()),
        "socket.io polling": lambda: "/socket.io/?EIO=4&transport=polling&sid=x",
        "integrator webhook": lambda: "/webhooks/rest/webhook",
    }
    auth = f"Authorization: Bearer {INTEGRATOR_KEY}\r\n"
    lines = ["| route | status (6 requests) | slowest answer | connection closed, body not drained "
             "| Rasa memory before → after |", "|---|---|---|---|---|"]
    for name, path in routes.items():
        before = tree_pss_mb(rasa_pid)
        results = [oversized_post(port, path(), DECLARED, headers=auth if "integrator" in name else "")
                   for _ in range(6)]
        after = tree_pss_mb(rasa_pid)
        statuses = sorted({status for status, _, _ in results})
        closed = sum(closed for _, _, closed in results)
        lines.append(f"| {name} | {', '.join(map(str, statuses))} | "
                     f"{max(t for _, t, _ in results) * 1000:.0f} ms | {closed}/6 | "
                     f"{before:.0f} → {after:.0f} MB |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-examples", type=int, default=200, help="test cases per operation")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--rasa-workers", type=int, default=2)
    args = ap.parse_args()
    if not MODEL.exists():
        raise SystemExit(f"no trained model at {MODEL}: run `make train`")
    with tempfile.TemporaryDirectory(prefix="webhook-fuzz-") as tmp:
        city = CityBackend(Path(tmp), MODEL, args.rasa_workers, 1)
        try:
            city.start_support()
            city.env["WECHAT_TOKEN"] = WECHAT_TOKEN
            proc = city.start_rasa()
            wait_http(f"http://127.0.0.1:{city.rasa_port}/webhooks/rest/", 600, proc,
                      Path(tmp) / "rasa.log")
            probes = body_probes(city.rasa_port, proc.pid)
            started = time.monotonic()
            run = subprocess.run(
                [str(SCHEMATHESIS), "run", str(ROOT / "docs" / "integrator-webhook.openapi.yaml"),
                 "--url", f"http://127.0.0.1:{city.rasa_port}", "-H",
                 f"Authorization: Bearer {INTEGRATOR_KEY}", "--max-examples", str(args.max_examples),
                 "--seed", str(args.seed), "--checks", CHECKS], capture_output=True, text=True, cwd=tmp)
            seconds = time.monotonic() - started
            errors = city.logged_errors()
        finally:
            city.stop()
    cases = re.search(r"(\d+) generated, ([^\n]*)", run.stdout)
    print(run.stdout[-4000:] if run.returncode else "")
    print("\n".join(probes))
    print(f"schemathesis: {cases.group(0) if cases else 'no summary'}; exit {run.returncode}; "
          f"{seconds:.0f} s; ERROR lines in the services' logs: {errors}")
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
