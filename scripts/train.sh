#!/usr/bin/env bash
# Train the assistant into models/ unless the model there was trained from exactly the current
# config, domain, training data and NLU resources (content hash stamp). Rasa 3.6 has no such check
# of its own: its graph cache still retrains some components on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
model=models/shanghai-assistant.tar.gz
stamp=models/shanghai-assistant.sha256
want=$( { find config.yml bot/domain data bot/nlu bot/requirements.txt -type f -print0 | sort -z \
          | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)
if [ "${1:-}" != "--force" ] && [ -f "$model" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "==> assistant model up to date ($model)"
  exit 0
fi
echo "==> training the assistant (a few minutes on 2 cores)"
rm -f "$stamp"
.venv/rasa/bin/rasa train --config config.yml --domain bot/domain --data data --out models \
  --fixed-model-name shanghai-assistant
echo "$want" > "$stamp"
