#!/usr/bin/env bash
# Train the assistant into models/ unless the newest model already matches config, domain and data
# (Rasa fingerprints them and skips an unchanged training).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
echo "==> training the assistant (skipped if nothing changed; first training takes a few minutes)"
.venv/rasa/bin/rasa train --config config.yml --domain bot/domain --data data --out models \
  --fixed-model-name shanghai-assistant "$@"
