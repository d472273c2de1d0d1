# Data service image. Build from the repository root:
#   docker build -f docker/dataservice.Dockerfile -t sh-public-services/dataservice .
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY dataservice/requirements.txt /app/dataservice/requirements.txt
RUN pip install -r /app/dataservice/requirements.txt

COPY dataservice /app/dataservice
COPY privacy /app/privacy
COPY sentence_vectors /app/sentence_vectors
# DEPLOYMENT_ENV's one rule and the shared development secrets (the settings import it).
COPY deployment_env /app/deployment_env
# The shipped work-order classifier, trained from the corpus now so that start-up only loads it.
RUN python -c "from dataservice.settings import DEFAULT_CLASSIFIER_DIR as d; \
from dataservice.work_orders.shipped import ensure_shipped_model as e; e(d)"

# Non-root at run time; the embedded SQLite default writes under /app/var only.
RUN useradd --system --uid 1001 --home-dir /app --shell /usr/sbin/nologin dataservice \
 && mkdir -p /app/var && chown dataservice /app/var
USER 1001

ENV DATASERVICE_HOST=0.0.0.0 DATASERVICE_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]

# `up` = migrate, seed the sample data (idempotent), serve. A deployment with real data runs
# `python -m dataservice migrate` then `serve` instead.
CMD ["python", "-m", "dataservice", "up", "--workers", "2"]
