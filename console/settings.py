"""All console configuration, read from the environment in one place and checked at start-up."""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

# One way to read a database URL for both Python 3.11 services (standard library only).
from dataservice.settings import normalize_database_url

class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/console.sqlite3"
    # Where the events come from: an amqp:// URL (RabbitMQ, Rasa's Pika broker) or the SQLite file
    # Rasa's SQL event broker writes to in the embedded default.
    broker_url: str = "sqlite:///var/events.sqlite3"
    broker_queue: str = "console-events"
    deployment_env: str = "development"
    inbox_threshold: float = 0.6
    session_hours: int = 12
    lockout_failures: int = 5
    lockout_minutes: int = 15
    secure_cookies: bool = False
    domain_path: str = "bot/domain"
    nlu_path: str = "data/nlu"
    # Retraining (console/training): the Rasa CLI of the Rasa environment (run as a subprocess, never
    # imported here), the job queue (redis:// in production, else a SQLite file), where jobs work.
    rasa_executable: str = ".venv/rasa/bin/rasa"
    queue_url: str = "sqlite:///var/console-queue.sqlite3"
    queue_name: str = "console-training"
    training_dir: str = "var/training"
    # Extra `rasa train` arguments (empty: real training; tests shorten it).
    train_args: tuple[str, ...] = ()
    # Served to Rasa until a model is promoted: the newest model `make train` left here.
    models_path: str = "models"

    @property
    def production(self) -> bool:
        return self.deployment_env == "production"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    deployment = env.get("DEPLOYMENT_ENV", "development")
    if deployment not in ("development", "production"):
        raise SettingsError(f"DEPLOYMENT_ENV must be development or production, not {deployment!r}")
    s = Settings(
        database_url=normalize_database_url(env.get("CONSOLE_DATABASE_URL", Settings.database_url)),
        broker_url=env.get("EVENT_BROKER_URL", Settings.broker_url),
        broker_queue=env.get("EVENT_BROKER_QUEUE", Settings.broker_queue),
        deployment_env=deployment,
        inbox_threshold=float(env.get("CONSOLE_INBOX_THRESHOLD", Settings.inbox_threshold)),
        secure_cookies=deployment == "production",
        rasa_executable=env.get("CONSOLE_RASA", Settings.rasa_executable),
        queue_url=env.get("CONSOLE_QUEUE_URL", Settings.queue_url),
        queue_name=env.get("CONSOLE_QUEUE_NAME", Settings.queue_name),
        training_dir=env.get("CONSOLE_TRAINING_DIR", Settings.training_dir),
        train_args=tuple(shlex.split(env.get("CONSOLE_TRAIN_ARGS", ""))),
        models_path=env.get("CONSOLE_MODELS_PATH", Settings.models_path),
    )
    return s
