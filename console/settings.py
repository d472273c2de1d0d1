"""All console configuration, read from the environment in one place and checked at start-up."""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

# One way to read a database URL for both Python 3.11 services (standard library only).
from dataservice.settings import normalize_database_url
from deployment_env import (DEV_DATASERVICE_KEY, DEV_HANDOFF_TOKEN, DEV_RELAY_SECRET, PRODUCTION,
                            deployment, refuse_development_secrets)


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
    # The agent desk and the live handoff (docs/operators.md, "Agent desk").
    agent_hours: str = "09:00-18:00"  # Shanghai time, on the city's working days
    agent_idle_minutes: float = 5.0  # a held conversation returns to the queue after this silence
    handoff_token: str = DEV_HANDOFF_TOKEN  # the action server's bearer token for /api/handoffs
    relay_url: str = "http://127.0.0.1:5005"  # Rasa (or its load balancer): agent replies go there
    relay_secret: str = DEV_RELAY_SECRET  # signs what the console sends Rasa (AGENT_RELAY_SECRET)
    dataservice_url: str = "http://127.0.0.1:8000"  # the city's calendar and 12345 tickets
    dataservice_key: str = DEV_DATASERVICE_KEY

    @property
    def production(self) -> bool:
        return self.deployment_env == PRODUCTION


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    deployed_as = deployment(env, SettingsError)
    s = Settings(
        database_url=normalize_database_url(env.get("CONSOLE_DATABASE_URL", Settings.database_url)),
        broker_url=env.get("EVENT_BROKER_URL", Settings.broker_url),
        broker_queue=env.get("EVENT_BROKER_QUEUE", Settings.broker_queue),
        deployment_env=deployed_as,
        inbox_threshold=float(env.get("CONSOLE_INBOX_THRESHOLD", Settings.inbox_threshold)),
        secure_cookies=deployed_as == PRODUCTION,
        rasa_executable=env.get("CONSOLE_RASA", Settings.rasa_executable),
        queue_url=env.get("CONSOLE_QUEUE_URL", Settings.queue_url),
        queue_name=env.get("CONSOLE_QUEUE_NAME", Settings.queue_name),
        training_dir=env.get("CONSOLE_TRAINING_DIR", Settings.training_dir),
        train_args=tuple(shlex.split(env.get("CONSOLE_TRAIN_ARGS", ""))),
        models_path=env.get("CONSOLE_MODELS_PATH", Settings.models_path),
        agent_hours=env.get("CONSOLE_AGENT_HOURS", Settings.agent_hours),
        agent_idle_minutes=float(env.get("CONSOLE_AGENT_IDLE_MINUTES", Settings.agent_idle_minutes)),
        handoff_token=env.get("CONSOLE_HANDOFF_TOKEN") or DEV_HANDOFF_TOKEN,
        relay_url=env.get("AGENT_RELAY_URL", Settings.relay_url),
        relay_secret=env.get("AGENT_RELAY_SECRET") or DEV_RELAY_SECRET,
        dataservice_url=env.get("DATASERVICE_URL", Settings.dataservice_url),
        dataservice_key=env.get("DATASERVICE_API_KEY", Settings.dataservice_key),
    )
    refuse_development_secrets(s.production, {
        "CONSOLE_HANDOFF_TOKEN": (s.handoff_token == DEV_HANDOFF_TOKEN,
                                  "the action server's bearer token for handoffs"),
        "AGENT_RELAY_SECRET": (s.relay_secret == DEV_RELAY_SECRET,
                               "it signs what the console asks Rasa to deliver")}, SettingsError)
    return s
