"""All configuration of the data service, read from the environment in one place."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "dataservice.sqlite3"
# Only for the embedded development default; production sets DATASERVICE_API_KEYS.
DEV_API_KEY = "dev-dataservice-key"
DEV_PEPPER = "dev-pepper-change-me"
# Where the shipped work-order classifier is trained to (from the corpus, see dataservice/work_orders).
DEFAULT_CLASSIFIER_DIR = REPO_ROOT / "var" / "work_order_classifier"
DEPLOYMENTS = ("development", "production")


class InsecureConfiguration(RuntimeError):
    """The configuration must not be served: the message names the variable to set."""


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres URL spellings and pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    redis_url: str | None = None
    api_keys: tuple[str, ...] = (DEV_API_KEY,)
    # Secret mixed into digests of verification factors and phone numbers.
    pepper: str = DEV_PEPPER
    cache_ttl_seconds: int = 300
    cache_prefix: str = "ds"
    max_body_bytes: int = 64 * 1024
    # How long a write's Idempotency-Key replays its first response (clients retry within minutes).
    idempotency_ttl_seconds: int = 24 * 3600
    host: str = "127.0.0.1"
    port: int = 8000
    # A city's own work-order classifier (`python -m dataservice train-classifier`); unset: shipped.
    ticket_classifier_model: str | None = None
    classifier_dir: Path = DEFAULT_CLASSIFIER_DIR
    using_dev_key: bool = field(default=False, compare=False)
    deployment_env: str = "development"

    def refuse_if_insecure(self) -> None:
        """In production, a development secret (public in this repository) stops the service."""
        if self.deployment_env != "production":
            return
        if self.pepper == DEV_PEPPER:
            raise InsecureConfiguration(
                "DEPLOYMENT_ENV=production but DATASERVICE_PEPPER is unset or the development "
                "value: set DATASERVICE_PEPPER to a secret (then re-seed the digests).")
        if DEV_API_KEY in self.api_keys:
            raise InsecureConfiguration(
                "DEPLOYMENT_ENV=production but DATASERVICE_API_KEYS is unset or holds the "
                f"development key {DEV_API_KEY!r}: set DATASERVICE_API_KEYS to the clients' keys.")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        keys = _csv(env.get("DATASERVICE_API_KEYS"))
        deployment = env.get("DEPLOYMENT_ENV") or "development"
        if deployment not in DEPLOYMENTS:
            raise InsecureConfiguration(
                f"DEPLOYMENT_ENV must be one of {', '.join(DEPLOYMENTS)}, not {deployment!r}.")
        return cls(
            database_url=normalize_database_url(
                env.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
            ),
            redis_url=env.get("REDIS_URL") or None,
            api_keys=keys or (DEV_API_KEY,),
            pepper=env.get("DATASERVICE_PEPPER") or DEV_PEPPER,
            cache_ttl_seconds=int(env.get("DATASERVICE_CACHE_TTL", "300")),
            cache_prefix=env.get("DATASERVICE_CACHE_PREFIX", "ds"),
            max_body_bytes=int(env.get("DATASERVICE_MAX_BODY_BYTES", str(64 * 1024))),
            idempotency_ttl_seconds=int(env.get("DATASERVICE_IDEMPOTENCY_TTL", str(24 * 3600))),
            host=env.get("DATASERVICE_HOST", "127.0.0.1"),
            port=int(env.get("DATASERVICE_PORT", "8000")),
            ticket_classifier_model=env.get("TICKET_CLASSIFIER_MODEL") or None,
            using_dev_key=not keys,
            deployment_env=deployment,
        )
