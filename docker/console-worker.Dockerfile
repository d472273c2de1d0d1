# The console's training worker (`python -m console worker`): it takes one training job at a time
# from the Redis queue and runs `rasa train` and the evaluation gate as subprocesses of Rasa's own
# environment. So this image holds both: Rasa (Python 3.10, as in docker/rasa.Dockerfile) and,
# beside it, the console's Python 3.11 and its packages in /opt/console. From the repository root:
#   docker build -f docker/console-worker.Dockerfile -t sh-public-services/console-worker .

# Stage 1: the console's environment, built on the console's own base image.
FROM python:3.11.7-slim-bookworm AS console-env
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY docker/console.requirements.txt /opt/console.requirements.txt
# Created by the versioned name so that its interpreter link stays python3.11 in the final image.
RUN /usr/local/bin/python3.11 -m venv /opt/console \
 && /opt/console/bin/pip install -r /opt/console.requirements.txt

# Stage 2: Rasa's image, with the console's interpreter copied beside it. Both bases are built from
# Debian bookworm with the same shared libraries, and Python 3.11's files are all versioned names
# (python3.11, lib/python3.11, libpython3.11.so), so nothing of Python 3.10 is replaced.
FROM python:3.10.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    RASA_TELEMETRY_ENABLED=false \
    PYTHONPATH=/app

WORKDIR /app
COPY bot/requirements.txt /app/bot/requirements.txt
RUN pip install -r /app/bot/requirements.txt

COPY --from=console-env /usr/local/bin/python3.11 /usr/local/bin/python3.11
COPY --from=console-env /usr/local/lib/libpython3.11.so.1.0 /usr/local/lib/libpython3.11.so.1.0
COPY --from=console-env /usr/local/lib/python3.11 /usr/local/lib/python3.11
COPY --from=console-env /opt/console /opt/console
# Training writes its models, logs and Rasa's cache under /app/var (a volume shared with the web
# console, which serves the promoted model to the Rasa replicas).
RUN ldconfig \
 && useradd --system --uid 1001 --home-dir /app/var --shell /usr/sbin/nologin worker \
 && mkdir -p /app/var && chown worker /app/var

# What training and the evaluation gate read: the assistant's configuration, domain, custom
# components and data, and the held-out evaluation sets (never trained on).
COPY config.yml /app/config.yml
COPY privacy /app/privacy
COPY sentence_vectors /app/sentence_vectors
# DEPLOYMENT_ENV's one rule and the shared development secrets (the settings import it).
COPY deployment_env /app/deployment_env
COPY bot /app/bot
COPY data /app/data
COPY tests/nlu_heldout /app/tests/nlu_heldout
COPY tests/nlu_eval /app/tests/nlu_eval
COPY tests/conversations /app/tests/conversations
COPY bench/nlu_eval.py /app/bench/nlu_eval.py
# The model production starts from (the Rasa image's), evaluated against each candidate until a
# trained one is promoted. Build after `make train`.
COPY models/shanghai-assistant.tar.gz /app/models/shanghai-assistant.tar.gz
COPY dataservice/__init__.py dataservice/settings.py dataservice/db.py /app/dataservice/
COPY docker/probes/console_ready.py /app/probes/console_ready.py
COPY signing /app/signing
# Reads the NLU training files (data/nlu) for the inbox's conflict checks.
COPY nlu_data /app/nlu_data
COPY console /app/console
USER 1001

ENV HOME=/app/var \
    RASA_CACHE_DIRECTORY=/app/var/rasa-cache \
    CONSOLE_RASA=/usr/local/bin/rasa \
    CONSOLE_MODELS_PATH=/app/models
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/opt/console/bin/python", "/app/probes/console_ready.py", "worker"]
CMD ["/opt/console/bin/python", "-m", "console", "worker"]
