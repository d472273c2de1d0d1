#!/usr/bin/env bash
# Evaluate the trained model on the held-out split and CLINC150; writes docs/nlu-evaluation.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
.venv/rasa/bin/python bench/nlu_eval.py --write-doc "$@"
