# Rasa server image with the trained model baked in. Train first (`make train` writes
# models/shanghai-assistant.tar.gz), then build from the repository root:
#   docker build -f docker/rasa.Dockerfile -t sh-public-services/rasa .
# A new model is a new image tag: replicas roll one at a time (the PodDisruptionBudget and the
# readiness probe keep the others serving).
FROM python:3.10.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    PYTHONPATH=/app

WORKDIR /app
COPY bot/requirements.txt /app/bot/requirements.txt
# Rasa's own image runs as 1001; so does this one. Rasa writes nothing but its home at run time.
RUN pip install -r /app/bot/requirements.txt \
 && useradd --system --uid 1001 --home-dir /app --shell /usr/sbin/nologin rasa

COPY privacy /app/privacy
COPY sentence_vectors /app/sentence_vectors
# DEPLOYMENT_ENV's one rule and the shared development secrets (the settings import it).
COPY deployment_env /app/deployment_env
# Checks the console's signature on what it asks the agent relay to deliver.
COPY signing /app/signing
COPY bot /app/bot
COPY docs/integrator-webhook.openapi.yaml /app/docs/integrator-webhook.openapi.yaml
COPY docker/probes /app/probes
COPY docker/rasa-entrypoint.sh /app/rasa-entrypoint.sh
COPY models/shanghai-assistant.tar.gz /app/models/shanghai-assistant.tar.gz
USER 1001

EXPOSE 5005
# Ready = the server answers AND its tracker store (PostgreSQL) and lock store (Redis) do.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "/app/probes/ready.py"]
ENTRYPOINT ["/app/rasa-entrypoint.sh"]
