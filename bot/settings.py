"""Every setting of the Rasa process, read from the environment in one place and checked at start.

Rasa builds each channel through `from_credentials()` when it starts: the channel takes its
section from here, so a wrong value stops the server with a message that names the variable,
and DEPLOYMENT_ENV=production refuses the development secrets. A channel's section of
bot/credentials.yml may set the same values (the variable's name without its prefix, in lower
case: `reply_budget: 4.5` for WECHAT_REPLY_BUDGET, `${VAR}` for secrets); credentials.yml wins
over the environment, and a key this file does not know is an error, not silently ignored.
The variables and their meaning: .env.example and docs/security.md.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from bot.channels.state import Limits
from bot.channels.webchat_page import frame_ancestors
from deployment_env import (DEV_HANDOFF_TOKEN, DEV_RELAY_SECRET, is_production,
                            refuse_development_secrets)

Env = Mapping[str, str]


class SettingsError(ValueError):
    """A setting is missing, malformed or a development secret in production."""


# --------------------------------------------------------------------------- readers


def positive(env: Env, name: str, default: float) -> float:
    raw = env.get(name)
    try:
        value = float(default if raw in (None, "") else raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number (got {raw!r})") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive (got {raw!r})")
    return value


def pairs(raw: Optional[str]) -> list[tuple[str, str]]:
    """`name:value,name2:value2` -> [(name, value), ...] (the value may itself contain ':')."""
    out = []
    for item in (raw or "").split(","):
        name, sep, value = item.strip().partition(":")
        if sep and name.strip() and value.strip():
            out.append((name.strip(), value.strip()))
    return out


def production(env: Env) -> bool:
    """DEPLOYMENT_ENV=production; unset is development, anything else is refused (deployment_env)."""
    return is_production(env, SettingsError)


def secret(env: Env, name: str, dev_value: str, purpose: str) -> str:
    """The secret `name`, its development value when unset; refused in production."""
    value = env.get(name) or dev_value
    refuse_development_secrets(production(env), {name: (value == dev_value, purpose)}, SettingsError)
    return value


def with_credentials(env: Env, prefix: str, credentials: Optional[Mapping[str, Any]],
                     known: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment with a channel's credentials.yml keys laid over it (`reply_budget` ->
    `WECHAT_REPLY_BUDGET`). `known` keys belong to Rasa's own connector and are left alone."""
    merged = dict(env)
    for key, value in (credentials or {}).items():
        if key in known or value is None:
            continue
        name = prefix + key.upper()
        if name not in _KNOWN[prefix]:
            raise SettingsError(f"credentials.yml: unknown setting {key!r} for this channel "
                                f"(known: {', '.join(n[len(prefix):].lower() for n in _KNOWN[prefix])})")
        merged[name] = str(value)
    return merged


# --------------------------------------------------------------------------- sections


@dataclass(frozen=True)
class WeChatSettings:
    token: str = ""
    app_id: str = ""
    app_secret: str = ""
    aes_key: str = ""
    api_base: str = "https://api.weixin.qq.com"
    reply_budget: float = 4.5
    timestamp_window: float = 300
    max_body: int = 16 * 1024
    max_message: int = 2000
    limits: Limits = field(default_factory=lambda: Limits(20, 8))
    prefix: str = "shps:wechat"
    redis_url: str = ""

    @classmethod
    def from_env(cls, env: Env) -> "WeChatSettings":
        aes_key = env.get("WECHAT_AES_KEY") or ""
        if aes_key and len(aes_key) != 43:
            raise SettingsError("WECHAT_AES_KEY must be the 43-character EncodingAESKey "
                                "(empty for plaintext mode)")
        return cls(
            token=env.get("WECHAT_TOKEN") or "", app_id=env.get("WECHAT_APP_ID") or "",
            app_secret=env.get("WECHAT_APP_SECRET") or "", aes_key=aes_key,
            api_base=(env.get("WECHAT_API_BASE") or "https://api.weixin.qq.com").rstrip("/"),
            reply_budget=positive(env, "WECHAT_REPLY_BUDGET", 4.5),
            timestamp_window=positive(env, "WECHAT_TIMESTAMP_WINDOW", 300),
            max_body=int(positive(env, "WECHAT_MAX_BODY_BYTES", 16 * 1024)),
            max_message=int(positive(env, "WECHAT_MAX_MESSAGE_CHARS", 2000)),
            limits=Limits(positive(env, "WECHAT_RATE_PER_MINUTE", 20),
                          positive(env, "WECHAT_BURST", 8)),
            prefix=env.get("WECHAT_REDIS_PREFIX") or "shps:wechat",
            redis_url=env.get("REDIS_URL") or "",
        )


@dataclass(frozen=True)
class IntegratorSettings:
    keys: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    callbacks: dict[str, str] = field(default_factory=dict)
    always_async: set[str] = field(default_factory=set)
    max_body: int = 16 * 1024
    max_message: int = 2000
    integrator_limits: Limits = field(default_factory=lambda: Limits(600, 60))
    sender_limits: Limits = field(default_factory=lambda: Limits(30, 10))
    overrides: dict[str, Limits] = field(default_factory=dict)
    auth_failure_limits: Limits = field(default_factory=lambda: Limits(10, 20))
    signature_window: int = 300
    idempotency_ttl: int = 86400
    idempotency_lock_ttl: float = 10.0
    callback_retries: int = 5
    callback_backoff: float = 1.0
    redis_url: Optional[str] = None
    redis_prefix: str = "shps:integrator:"

    @classmethod
    def from_env(cls, env: Env) -> "IntegratorSettings":
        overrides = {}
        for name, value in pairs(env.get("INTEGRATOR_RATE_OVERRIDES")):
            rate, _, burst = value.partition("/")
            try:
                overrides[name] = Limits(float(rate), float(burst or rate))
            except ValueError:
                raise SettingsError("INTEGRATOR_RATE_OVERRIDES: use name:rate_per_minute/burst") from None
        callbacks = dict(pairs(env.get("INTEGRATOR_CALLBACKS")))
        always_async = {n.strip() for n in (env.get("INTEGRATOR_ALWAYS_ASYNC") or "").split(",")
                        if n.strip()}
        for name in sorted(always_async - set(callbacks)):
            raise SettingsError(f"INTEGRATOR_ALWAYS_ASYNC: {name} has no INTEGRATOR_CALLBACKS entry")
        return cls(
            keys=pairs(env.get("INTEGRATOR_API_KEYS")),
            secrets=dict(pairs(env.get("INTEGRATOR_SIGNING_SECRETS"))),
            callbacks=callbacks, always_async=always_async,
            max_body=int(positive(env, "INTEGRATOR_MAX_BODY_BYTES", 16 * 1024)),
            max_message=int(positive(env, "INTEGRATOR_MAX_MESSAGE_CHARS", 2000)),
            integrator_limits=Limits(positive(env, "INTEGRATOR_RATE_PER_MINUTE", 600),
                                     positive(env, "INTEGRATOR_BURST", 60)),
            sender_limits=Limits(positive(env, "INTEGRATOR_SENDER_RATE_PER_MINUTE", 30),
                                 positive(env, "INTEGRATOR_SENDER_BURST", 10)),
            overrides=overrides,
            auth_failure_limits=Limits(positive(env, "INTEGRATOR_AUTH_FAILURES_PER_MINUTE", 10),
                                       positive(env, "INTEGRATOR_AUTH_FAILURE_BURST", 20)),
            signature_window=int(positive(env, "INTEGRATOR_SIGNATURE_WINDOW", 300)),
            idempotency_ttl=int(positive(env, "INTEGRATOR_IDEMPOTENCY_TTL", 86400)),
            idempotency_lock_ttl=positive(env, "INTEGRATOR_IDEMPOTENCY_LOCK_TTL", 10),
            callback_retries=int(positive(env, "INTEGRATOR_CALLBACK_RETRIES", 5)),
            callback_backoff=positive(env, "INTEGRATOR_CALLBACK_BACKOFF", 1.0),
            redis_url=env.get("REDIS_URL") or None,
            redis_prefix=env.get("INTEGRATOR_REDIS_PREFIX") or "shps:integrator:",
        )

    def callback_secret(self, integrator: str) -> str:
        """Callbacks are signed with the integrator's signing secret, else with its first API key."""
        if integrator in self.secrets:
            return self.secrets[integrator]
        return next(key for name, key in self.keys if name == integrator)


SOCKETIO_DEV_SECRET = "dev-socketio-session-secret"


def _frame_ancestors(env: Env) -> str:
    try:
        return frame_ancestors(env.get("WEBCHAT_FRAME_ANCESTORS"))
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


@dataclass(frozen=True)
class SocketIOSettings:
    session_secret: str = SOCKETIO_DEV_SECRET
    max_message: int = 2000
    max_payload: int = 16 * 1024
    session_limits: Limits = field(default_factory=lambda: Limits(30, 10))
    address_limits: Limits = field(default_factory=lambda: Limits(120, 40))
    prefix: str = "shps:socketio:"
    redis_url: str = ""
    frame_ancestors: str = "'self'"

    @classmethod
    def from_env(cls, env: Env) -> "SocketIOSettings":
        return cls(
            session_secret=secret(env, "SOCKETIO_SESSION_SECRET", SOCKETIO_DEV_SECRET,
                                  "it signs the web chat's session tokens"),
            max_message=int(positive(env, "SOCKETIO_MAX_MESSAGE_CHARS", 2000)),
            max_payload=int(positive(env, "SOCKETIO_MAX_PAYLOAD_BYTES", 16 * 1024)),
            session_limits=Limits(positive(env, "SOCKETIO_SESSION_RATE_PER_MINUTE", 30),
                                  positive(env, "SOCKETIO_SESSION_BURST", 10)),
            address_limits=Limits(positive(env, "SOCKETIO_ADDRESS_RATE_PER_MINUTE", 120),
                                  positive(env, "SOCKETIO_ADDRESS_BURST", 40)),
            prefix=env.get("SOCKETIO_REDIS_PREFIX") or "shps:socketio:",
            redis_url=env.get("REDIS_URL") or "",
            frame_ancestors=_frame_ancestors(env),
        )


@dataclass(frozen=True)
class AgentRelaySettings:
    """What the console's agent desk asks Rasa to deliver is signed with `secret`."""
    secret: str = DEV_RELAY_SECRET

    @classmethod
    def from_env(cls, env: Env) -> "AgentRelaySettings":
        return cls(secret(env, "AGENT_RELAY_SECRET", DEV_RELAY_SECRET,
                          "it signs what the console's agent desk asks Rasa to deliver"))


@dataclass(frozen=True)
class ConsoleNoticeSettings:
    """Where Rasa tells the agent desk that a citizen left (`url` unset: no notice)."""
    url: str = ""
    token: str = DEV_HANDOFF_TOKEN

    @classmethod
    def from_env(cls, env: Env) -> "ConsoleNoticeSettings":
        url = (env.get("CONSOLE_URL") or "").rstrip("/")
        token = env.get("CONSOLE_HANDOFF_TOKEN") or DEV_HANDOFF_TOKEN
        refuse_development_secrets(production(env), {"CONSOLE_HANDOFF_TOKEN": (
            bool(url) and token == DEV_HANDOFF_TOKEN,
            "the console's token: it authenticates Rasa's notices to the agent desk")}, SettingsError)
        return cls(url=url, token=token)


@dataclass(frozen=True)
class StoreSettings:
    """The tracker store (PostgreSQL at `tracker_url`, else the embedded SQLite file), its window
    of user turns, and the lock store (Redis at `redis_url`, else memory for one worker).
    endpoints.yml may set `url` and `window_turns` under tracker_store, `url` and `key_prefix`
    under lock_store; they win over the environment."""
    tracker_url: str = ""
    window_turns: Optional[int] = 5
    redis_url: str = ""
    lock_key_prefix: str = "shps"
    workers: int = 1

    @classmethod
    def from_env(cls, env: Env, tracker: Optional[Mapping[str, Any]] = None,
                 lock: Optional[Mapping[str, Any]] = None) -> "StoreSettings":
        tracker, lock = dict(tracker or {}), dict(lock or {})
        for name, given, known in (("tracker_store", tracker, ("url", "window_turns")),
                                   ("lock_store", lock, ("url", "key_prefix"))):
            unknown = sorted(set(given) - set(known))
            if unknown:
                raise SettingsError(f"endpoints.yml: {name} does not know {unknown[0]!r} "
                                    f"(known: {', '.join(known)})")
        url = str(tracker.get("url") or env.get("TRACKER_STORE_URL") or "")
        if url and url.split("://", 1)[0].split("+")[0] not in ("postgres", "postgresql"):
            raise SettingsError("TRACKER_STORE_URL must be a postgresql:// URL")
        raw = str(tracker.get("window_turns", env.get("TRACKER_WINDOW_TURNS", "5"))).strip()
        try:
            turns = int(raw)
        except ValueError:
            raise SettingsError("TRACKER_WINDOW_TURNS must be a whole number (0 = no window)") from None
        if turns < 0 or 0 < turns < 4:
            # Memoization looks back 4 turns; actions look back over the current question's turns.
            raise SettingsError("TRACKER_WINDOW_TURNS must be 0 (no window) or at least 4")
        workers = int(positive(env, "SANIC_WORKERS", 1))
        redis_url = str(lock.get("url") or env.get("REDIS_URL") or "")
        if workers > 1 and not redis_url:
            # Rasa would start the workers anyway (a custom lock store looks shareable) and two
            # workers could then handle one conversation at the same time.
            raise SettingsError("SANIC_WORKERS > 1 needs REDIS_URL (the workers share the lock store)")
        return cls(tracker_url=url, window_turns=turns or None, redis_url=redis_url,
                   lock_key_prefix=str(lock.get("key_prefix") or "shps"), workers=workers)


_KNOWN: dict[str, tuple[str, ...]] = {
    "WECHAT_": ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_AES_KEY",
                "WECHAT_API_BASE", "WECHAT_REPLY_BUDGET", "WECHAT_TIMESTAMP_WINDOW",
                "WECHAT_MAX_BODY_BYTES", "WECHAT_MAX_MESSAGE_CHARS", "WECHAT_RATE_PER_MINUTE",
                "WECHAT_BURST", "WECHAT_REDIS_PREFIX"),
    "INTEGRATOR_": ("INTEGRATOR_API_KEYS", "INTEGRATOR_SIGNING_SECRETS", "INTEGRATOR_CALLBACKS",
                    "INTEGRATOR_ALWAYS_ASYNC", "INTEGRATOR_MAX_BODY_BYTES",
                    "INTEGRATOR_MAX_MESSAGE_CHARS", "INTEGRATOR_RATE_PER_MINUTE", "INTEGRATOR_BURST",
                    "INTEGRATOR_SENDER_RATE_PER_MINUTE", "INTEGRATOR_SENDER_BURST",
                    "INTEGRATOR_RATE_OVERRIDES", "INTEGRATOR_AUTH_FAILURES_PER_MINUTE",
                    "INTEGRATOR_AUTH_FAILURE_BURST", "INTEGRATOR_SIGNATURE_WINDOW",
                    "INTEGRATOR_IDEMPOTENCY_TTL", "INTEGRATOR_IDEMPOTENCY_LOCK_TTL",
                    "INTEGRATOR_CALLBACK_RETRIES", "INTEGRATOR_CALLBACK_BACKOFF",
                    "INTEGRATOR_REDIS_PREFIX"),
    "SOCKETIO_": ("SOCKETIO_SESSION_SECRET", "SOCKETIO_MAX_MESSAGE_CHARS",
                  "SOCKETIO_MAX_PAYLOAD_BYTES", "SOCKETIO_SESSION_RATE_PER_MINUTE",
                  "SOCKETIO_SESSION_BURST", "SOCKETIO_ADDRESS_RATE_PER_MINUTE",
                  "SOCKETIO_ADDRESS_BURST", "SOCKETIO_REDIS_PREFIX"),
    "AGENT_RELAY_": ("AGENT_RELAY_SECRET",),
}


def environment(env: Optional[Env] = None) -> Env:
    """The process environment, unless a test passes its own."""
    return os.environ if env is None else env


@dataclass(frozen=True)
class RasaSettings:
    production: bool
    wechat: WeChatSettings
    integrator: IntegratorSettings
    socketio: SocketIOSettings
    agent_relay: AgentRelaySettings
    console_notice: ConsoleNoticeSettings
    stores: StoreSettings

    @classmethod
    def from_env(cls, env: Optional[Env] = None) -> "RasaSettings":
        """All sections at once: `python -m bot.settings` checks a deployment's environment."""
        env = environment(env)
        return cls(production=production(env), wechat=WeChatSettings.from_env(env),
                   integrator=IntegratorSettings.from_env(env),
                   socketio=SocketIOSettings.from_env(env),
                   agent_relay=AgentRelaySettings.from_env(env),
                   console_notice=ConsoleNoticeSettings.from_env(env),
                   stores=StoreSettings.from_env(env))


if __name__ == "__main__":
    import sys

    try:
        RasaSettings.from_env()
    except SettingsError as exc:
        sys.exit(f"bot settings: {exc}")
    print("bot settings: ok")
