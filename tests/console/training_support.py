"""A stand-in for the Rasa CLI (`CONSOLE_RASA` names the executable), so that the queue, cancel and
failure tests take seconds: it answers `rasa data validate`, `rasa train` (writes a model file,
sleeping FAKE_TRAIN_SECONDS, exiting FAKE_TRAIN_EXIT) and, as the sibling `python`, the gate's
evaluation (figures from FAKE_FIGURES). Each training notes its start and end in FAKE_TRAIN_TRACE.
The real Rasa path is exercised by test_training_rasa.py."""
from __future__ import annotations

import json
import stat
from pathlib import Path

FAKE_RASA = r"""#!/usr/bin/env bash
set -u
if [ "$1 $2" = "data validate" ]; then echo "validated (fake)"; exit 0; fi
if [ "$1" = "train" ]; then
  out="" name=""
  while [ $# -gt 0 ]; do
    case "$1" in --out) out=$2; shift;; --fixed-model-name) name=$2; shift;; esac; shift
  done
  echo "start $name $(date +%s.%N)" >> "$FAKE_TRAIN_TRACE"
  echo "Finished training component 'Tokenizer'."
  sleep "${FAKE_TRAIN_SECONDS:-0}" &
  echo $! > "$FAKE_TRAIN_TRACE.$name.sleep"
  echo $$ > "$FAKE_TRAIN_TRACE.$name.pid"
  wait
  echo "end $name $(date +%s.%N)" >> "$FAKE_TRAIN_TRACE"
  if [ "${FAKE_TRAIN_EXIT:-0}" != 0 ]; then echo "boom: the fake training failed" >&2; exit "$FAKE_TRAIN_EXIT"; fi
  mkdir -p "$out" && echo "model $name $RANDOM" > "$out/$name.tar.gz"
  exit 0
fi
echo "unexpected: $*" >&2; exit 3
"""

FAKE_PYTHON = r"""#!/usr/bin/env bash
# python -m console.training.rasa_evaluate MODEL OUT
cp "$FAKE_FIGURES" "$4"
"""

PASSING = {"accuracy": {"en": 0.97, "zh": 0.96}, "oos_recall": 0.93, "in_scope_rejected": 0.01,
           "predictions": [["en", "where is the nearest centre", "find_center", "find_center"]],
           "conversations": {"passed": True, "failed": []}}


def fake_rasa(folder: Path, figures: dict | None = None) -> tuple[Path, Path]:
    """Writes the fake `rasa` and `python`; returns (the rasa executable, the figures file)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("rasa", FAKE_RASA), ("python", FAKE_PYTHON)):
        path = folder / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    figures_file = folder / "figures.json"
    figures_file.write_text(json.dumps(figures or PASSING))
    return folder / "rasa", figures_file
