# Action server image: rasa-sdk and the actions only, no Rasa or TensorFlow. From the repository root:
#   docker build -f docker/actions.Dockerfile -t sh-public-services/actions .
FROM python:3.10.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app
COPY docker/actions.requirements.txt /app/requirements.txt
RUN pip install -r /app/requirements.txt \
 && useradd --system --uid 1001 --home-dir /app --shell /usr/sbin/nologin actions
COPY privacy /app/privacy
# DEPLOYMENT_ENV's one rule and the shared development secrets (the settings import it).
COPY deployment_env /app/deployment_env
COPY actions /app/actions
USER 1001

EXPOSE 5055
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5055/health', timeout=2).status == 200 else 1)"]
# Listens on every interface of the container (loopback would be unreachable from Rasa's); only
# the cluster network reaches it (no published port, a NetworkPolicy in deploy/). Rasa
# authenticates with ACTION_SERVER_TOKEN (the entry point refuses a development one in production).
ENV ACTION_SERVER_HOST=0.0.0.0
CMD ["python", "-m", "actions.server", "--port", "5055"]
