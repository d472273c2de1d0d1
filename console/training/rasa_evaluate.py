"""A model's figures for the evaluation gate, written as JSON to OUT.

Runs in the Rasa environment (Python 3.10), started by the console's worker as a subprocess; the
console never imports Rasa. Reuses bench/nlu_eval.py (held-out split, CLINC150 oos_val) and Rasa's
own conversation tests (tests/conversations).

    .venv/rasa/bin/python -m console.training.rasa_evaluate MODEL.tar.gz OUT.json
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))


def conversation_tests(model: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-m", "rasa", "test", "core", "--model", model, "--stories",
             str(ROOT / "tests" / "conversations"), "--fail-on-prediction-errors", "--out", out,
             "--no-plot"], cwd=ROOT, stdout=sys.stderr, stderr=sys.stderr)
        failed_file = Path(out) / "failed_test_stories.yml"
        failed = []
        if failed_file.is_file():
            failed = [line.split(":", 1)[1].strip() for line in
                      failed_file.read_text(encoding="utf-8").splitlines()
                      if line.strip().startswith("- story:")]
    return {"passed": done.returncode == 0 and not failed, "failed": failed}


def figures(model: str) -> dict:
    import logging

    import nlu_eval
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Not a debug line per parsed message in the job's log.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    r = nlu_eval.evaluate(model)
    return {"accuracy": {lang: v["accuracy"] for lang, v in r["languages"].items()},
            "oos_recall": r["oos_val"]["recall"], "in_scope_rejected": r["in_scope_rejected"],
            "predictions": r["predictions"], "conversations": conversation_tests(model)}


if __name__ == "__main__":
    result = figures(sys.argv[1])  # Rasa prints to stdout: the figures go to their own file
    Path(sys.argv[2]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
