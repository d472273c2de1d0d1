#!/usr/bin/env bash
# Tests of the Rasa side: data validation, action unit tests, conversation tests, end-to-end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
RASA=.venv/rasa/bin/rasa
echo "==> rasa data validate"
$RASA data validate --config config.yml --domain bot/domain --data data --fail-on-warnings
echo "==> action, channel and end-to-end tests"
.venv/rasa/bin/python -m pytest -c pytest-rasa.ini -q
echo "==> conversation tests (rasa test --fail-on-prediction-errors)"
out=$(mktemp -d)
$RASA test core --model models --stories tests/conversations --fail-on-prediction-errors \
  --out "$out" --no-plot
echo "    all conversation tests passed"
