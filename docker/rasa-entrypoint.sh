#!/bin/sh
# Starts the Rasa server. The HTTP API is on (operators reach it inside the cluster only) and is
# never opened without a token; channels and stores come from bot/ and the environment.
set -eu
: "${RASA_AUTH_TOKEN:?RASA_AUTH_TOKEN must be set (the Rasa HTTP API is never opened without a token)}"
# The console's model server (bot/endpoints.yml); empty: the model baked into the image.
export MODEL_SERVER_URL="${MODEL_SERVER_URL-}"
exec python -m bot run --model /app/models --endpoints /app/bot/endpoints.yml \
  --credentials /app/bot/credentials.yml --port "${RASA_PORT:-5005}" \
  --enable-api --auth-token "$RASA_AUTH_TOKEN" "$@"
