# Operator console image: the web console (port 8100) and, with another command, its event consumer.
# Python 3.11, the console's run-time packages only. From the repository root:
#   docker build -f docker/console.Dockerfile -t sh-public-services/console .
#   web:       (default command)  python -m console serve --host 0.0.0.0 --port 8100
#   consumer:  python -m console consume
#   migration: python -m console migrate  (once, before a new version rolls out)
# The training worker runs Rasa, so it has its own image: docker/console-worker.Dockerfile.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app
COPY docker/console.requirements.txt /app/requirements.txt
RUN pip install -r /app/requirements.txt \
 && useradd --system --uid 1001 --home-dir /app --shell /usr/sbin/nologin console \
 && mkdir -p /app/var && chown console /app/var

# The console shares the data service's database helpers (three standard modules, no service).
COPY dataservice/__init__.py dataservice/settings.py dataservice/db.py /app/dataservice/
COPY privacy /app/privacy
# DEPLOYMENT_ENV's one rule and the shared development secrets (the settings import it).
COPY deployment_env /app/deployment_env
# Signs what the console asks Rasa's agent relay to deliver.
COPY signing /app/signing
# Reads the NLU training files (data/nlu) for the inbox's conflict checks.
COPY nlu_data /app/nlu_data
# Intent names and training data the inbox annotates against and checks conflicts with.
COPY bot/domain /app/bot/domain
COPY data/nlu /app/data/nlu
COPY docker/probes/console_ready.py /app/probes/console_ready.py
# The model the model server hands Rasa until a trained one is promoted (the Rasa image's own).
# Build after `make train`.
COPY models/shanghai-assistant.tar.gz /app/models/shanghai-assistant.tar.gz
COPY console /app/console
USER 1001

ENV CONSOLE_HOST=0.0.0.0 CONSOLE_PORT=8100 CONSOLE_MODELS_PATH=/app/models
EXPOSE 8100
# The web console's check; the consumer's container runs `console_ready.py consumer` instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "/app/probes/console_ready.py", "web"]
CMD ["python", "-m", "console", "serve"]
