#!/usr/bin/env bash
# Run the whole backend on its embedded defaults: data service (8000), action server (5055, loopback
# only, behind ACTION_SERVER_TOKEN),
# Rasa server (5005, channels: authenticated integrator REST webhook + socketio, HTTP API behind
# RASA_AUTH_TOKEN), and the operator console (8100) with its event consumer and training worker.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var/log
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
export DATASERVICE_URL="${DATASERVICE_URL:-http://127.0.0.1:8000}"
export DATASERVICE_API_KEY="${DATASERVICE_API_KEY:-${DATASERVICE_API_KEYS:-dev-dataservice-key}}"
export DATASERVICE_API_KEY="${DATASERVICE_API_KEY%%,*}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:5055/webhook}"
if [ -z "${RASA_AUTH_TOKEN:-}" ]; then
  RASA_AUTH_TOKEN="dev-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  export RASA_AUTH_TOKEN
  echo "==> RASA_AUTH_TOKEN not set: generated a development token for this run"
fi
# The REST webhook (bot/channels/integrator_rest.py) needs an integrator key: docs/integrators.md.
if [ -z "${INTEGRATOR_API_KEYS:-}" ]; then
  INTEGRATOR_API_KEYS="dev:dev-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  echo "==> INTEGRATOR_API_KEYS not set: generated a development integrator key for this run"
fi
export INTEGRATOR_API_KEYS
# The action server runs actions only for Rasa, which sends this secret (bot/endpoints.yml).
if [ -z "${ACTION_SERVER_TOKEN:-}" ]; then
  ACTION_SERVER_TOKEN="dev-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  echo "==> ACTION_SERVER_TOKEN not set: generated a development action-server secret for this run"
fi
export ACTION_SERVER_TOKEN
# Rasa pulls the production model from the console's model server (promotions reach it without a
# restart); set MODEL_SERVER_URL= (empty) to serve only models/ (bot/rasa_patches/model_server.py).
export MODEL_SERVER_URL="${MODEL_SERVER_URL-http://127.0.0.1:8100/model-server/model}"
# The live handoff: the action server and Rasa reach the console's queue, the console reaches
# Rasa's agent relay (development secrets unless set; docs/operators.md, "Agent desk").
export CONSOLE_URL="${CONSOLE_URL:-http://127.0.0.1:8100}" AGENT_RELAY_URL="${AGENT_RELAY_URL:-http://127.0.0.1:5005}"
DEV_INTEGRATOR_KEY="${INTEGRATOR_API_KEYS%%,*}"
DEV_INTEGRATOR_KEY="${DEV_INTEGRATOR_KEY#*:}"

pids=()
cleanup() { trap - INT TERM EXIT; echo; echo "==> stopping"; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT

wait_http() {  # name url seconds
  local name=$1 url=$2 secs=$3
  for _ in $(seq "$secs"); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then echo "    $name is up"; return 0; fi
    sleep 1
  done
  echo "error: $name did not start; see var/log/" >&2; exit 1
}

echo "==> starting the data service on :8000 (log: var/log/dataservice.log)"
.venv/dataservice/bin/python -m dataservice serve --port 8000 >var/log/dataservice.log 2>&1 &
pids+=($!)
echo "==> starting the action server on 127.0.0.1:5055 (log: var/log/actions.log)"
.venv/rasa/bin/python -m actions.server --port 5055 >var/log/actions.log 2>&1 &
pids+=($!)
echo "==> starting Rasa on :5005 (log: var/log/rasa.log; loading the model takes a little while)"
.venv/rasa/bin/python -m bot run --model models --endpoints bot/endpoints.yml \
  --credentials bot/credentials.yml --port 5005 --enable-api --auth-token "$RASA_AUTH_TOKEN" \
  --cors "*" >var/log/rasa.log 2>&1 &
pids+=($!)
# Rasa publishes events to the SQLite file below (or RabbitMQ when EVENT_BROKER_URL is amqp://);
# the consumer stores them in the console database (bot/event_broker.py, docs/operators.md).
echo "==> starting the console's event consumer (log: var/log/console-consumer.log)"
.venv/console/bin/python -m console consume >var/log/console-consumer.log 2>&1 &
pids+=($!)
echo "==> starting the console's training worker (log: var/log/console-worker.log)"
.venv/console/bin/python -m console worker >var/log/console-worker.log 2>&1 &
pids+=($!)
echo "==> starting the operator console on :8100 (log: var/log/console.log)"
.venv/console/bin/python -m console serve --port 8100 >var/log/console.log 2>&1 &
pids+=($!)

wait_http "data service" http://127.0.0.1:8000/readyz 60
wait_http "action server" http://127.0.0.1:5055/health 120
wait_http "console" http://127.0.0.1:8100/healthz 60
wait_http "Rasa" http://127.0.0.1:5005/status?token="$RASA_AUTH_TOKEN" 300

cat <<MSG

The backend is running. Citizens' web chat page: http://127.0.0.1:5005/chat (docs/webchat.md)
Chat with it over the REST webhook (integrator key: $DEV_INTEGRATOR_KEY):
  curl -s -XPOST http://127.0.0.1:5005/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -H "Authorization: Bearer $DEV_INTEGRATOR_KEY" \\
       -d '{"sender": "me", "message": "居住证要带什么材料？", "metadata": {"language": "zh"}}'
  curl -s -XPOST http://127.0.0.1:5005/webhooks/rest/webhook -H 'Content-Type: application/json' \\
       -H "Authorization: Bearer $DEV_INTEGRATOR_KEY" \\
       -d '{"sender": "me2", "message": "how long does a Shanghai residence permit take"}'
  Integrator guide: docs/integrators.md (OpenAPI: http://127.0.0.1:5005/webhooks/rest/openapi.yaml)
  or a web widget on socket.io at http://127.0.0.1:5005 (e.g. rasa-webchat)
Rasa HTTP API (internal only): token $RASA_AUTH_TOKEN
Data service: http://127.0.0.1:8000/docs  (X-API-Key: $DATASERVICE_API_KEY)
Operator console: http://127.0.0.1:8100  (first admin: .venv/console/bin/python -m console create-admin NAME)
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "error: a service exited; see var/log/" >&2
exit 1
