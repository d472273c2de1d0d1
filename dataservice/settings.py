"""All configuration of the data service, read from the environment in one place.

`Settings.from_env()` validates every variable at start-up: a malformed value stops the service with
a message naming the variable (`ConfigurationError`), and `refuse_if_insecure()` refuses the
development secrets this repository publishes when DEPLOYMENT_ENV=production. Every variable, with
its meaning, is listed in dataservice/.env.example.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PositiveInt,
                      StringConstraints, ValidationError)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from deployment_env import DEV_DATASERVICE_KEY as DEV_API_KEY
from deployment_env import DEVELOPMENT, PRODUCTION, deployment, refuse_development_secrets

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "dataservice.sqlite3"
# Only for the embedded development default (so is DEV_API_KEY); production sets its own.
DEV_PEPPER = "dev-pepper-change-me"
# Where the shipped work-order classifier is trained to (from the corpus, see
# dataservice/work_orders).
DEFAULT_CLASSIFIER_DIR = REPO_ROOT / "var" / "work_order_classifier"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class ConfigurationError(RuntimeError):
    """The environment cannot be served: the message names the variable to fix."""


class InsecureConfiguration(ConfigurationError):
    """A development secret (or an unknown deployment) where production needs a real one."""


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres URL spellings and pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _database_url(url: str) -> str:
    try:
        make_url(url)
    except ArgumentError:
        raise ValueError("must be an SQLAlchemy URL such as postgresql://user@host/db") from None
    return normalize_database_url(url)


def _redis_url(url: str) -> str:
    if not url.startswith(REDIS_SCHEMES):
        raise ValueError(f"must start with {', '.join(REDIS_SCHEMES)}")
    return url


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _level1_codes(codes: tuple[str, ...]) -> tuple[str, ...]:
    # The format only: whether the classifier has these classes is checked when it loads
    # (dataservice/api/work_orders.py), where the taxonomy and the model are at hand.
    malformed = [code for code in codes if not re.fullmatch(r"\d{2}", code)]
    if malformed:
        raise ValueError(f"must be two-digit first-level work-order codes such as 01, not "
                         f"{', '.join(malformed)}")
    if len(set(codes)) < 2:
        raise ValueError("must list at least two first-level codes (comma-separated)")
    return tuple(sorted(set(codes)))


def _some_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    if not keys:
        raise ValueError("must list at least one key (comma-separated)")
    return keys


class _Environment(BaseModel):
    """The variables as the environment spells them; an empty value counts as unset."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    DATABASE_URL: Annotated[str, AfterValidator(_database_url)] = \
        f"sqlite:///{DEFAULT_SQLITE_PATH}"
    REDIS_URL: Annotated[str, AfterValidator(_redis_url)] | None = None
    DATASERVICE_API_KEYS: Annotated[tuple[str, ...], BeforeValidator(_csv),
                                    AfterValidator(_some_keys)] | None = None
    DATASERVICE_PEPPER: str = DEV_PEPPER
    DATASERVICE_CACHE_TTL: PositiveInt = 300
    DATASERVICE_CACHE_PREFIX: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]+$")] = "ds"
    DATASERVICE_MAX_BODY_BYTES: PositiveInt = 64 * 1024
    DATASERVICE_IDEMPOTENCY_TTL: PositiveInt = 24 * 3600
    DATASERVICE_HOST: str = "127.0.0.1"
    DATASERVICE_PORT: Annotated[int, Field(ge=1, le=65535)] = 8000
    TICKET_CLASSIFIER_MODEL: str | None = None
    TICKET_CLASSES: Annotated[tuple[str, ...], BeforeValidator(_csv),
                              AfterValidator(_level1_codes)] | None = None
    DEPLOYMENT_ENV: str = DEVELOPMENT  # read by deployment_env's rule (Settings.from_env)


VARIABLES = tuple(_Environment.model_fields)


def _explain(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        name = str(error["loc"][0])
        given = error.get("input")
        shown = "" if name in _SECRETS else f" (got {given!r})"
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{name}: {message[0].lower()}{message[1:]}{shown}")
    return "invalid configuration: " + "; ".join(problems)


_SECRETS = {"DATASERVICE_PEPPER", "DATASERVICE_API_KEYS", "DATABASE_URL", "REDIS_URL"}


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
    # The first-level classes the city files work orders under; unset: all of the taxonomy's.
    ticket_classes: tuple[str, ...] | None = None
    using_dev_key: bool = field(default=False, compare=False)
    deployment_env: str = DEVELOPMENT

    @property
    def using_dev_pepper(self) -> bool:
        return self.pepper == DEV_PEPPER

    def development_warnings(self) -> list[str]:
        """What a development start-up says once: the public secrets it runs with."""
        warnings = []
        if self.using_dev_key:
            warnings.append("DATASERVICE_API_KEYS is not set: accepting only the development key")
        if self.using_dev_pepper:
            warnings.append("DATASERVICE_PEPPER is not set: digests use the public development "
                            "pepper (refused when DEPLOYMENT_ENV=production)")
        return warnings

    def refuse_if_insecure(self) -> None:
        """In production, a development secret (public in this repository) stops the service."""
        refuse_development_secrets(self.deployment_env == PRODUCTION, {
            "DATASERVICE_PEPPER": (self.using_dev_pepper,
                                   "it keys the digests of verification factors; re-seed them after"),
            "DATASERVICE_API_KEYS": (DEV_API_KEY in self.api_keys,
                                     f"the clients' keys, without the development key {DEV_API_KEY!r}")},
            InsecureConfiguration)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """Settings from `env` (default: the process environment); ConfigurationError names the
        variable that is malformed."""
        given = {name: value for name, value in (os.environ if env is None else env).items()
                 if name in VARIABLES and value.strip()}
        # Refused as insecure: a misspelt "production" must not start with development secrets.
        deployed_as = deployment(given, InsecureConfiguration)
        try:
            e = _Environment.model_validate(given)
        except ValidationError as exc:
            raise ConfigurationError(_explain(exc)) from None
        return cls(
            database_url=e.DATABASE_URL,
            redis_url=e.REDIS_URL,
            api_keys=e.DATASERVICE_API_KEYS or (DEV_API_KEY,),
            pepper=e.DATASERVICE_PEPPER,
            cache_ttl_seconds=e.DATASERVICE_CACHE_TTL,
            cache_prefix=e.DATASERVICE_CACHE_PREFIX,
            max_body_bytes=e.DATASERVICE_MAX_BODY_BYTES,
            idempotency_ttl_seconds=e.DATASERVICE_IDEMPOTENCY_TTL,
            host=e.DATASERVICE_HOST,
            port=e.DATASERVICE_PORT,
            ticket_classifier_model=e.TICKET_CLASSIFIER_MODEL,
            ticket_classes=e.TICKET_CLASSES,
            using_dev_key=e.DATASERVICE_API_KEYS is None,
            deployment_env=deployed_as,
        )
