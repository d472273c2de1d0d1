"""DEPLOYMENT_ENV, read by one rule in every service, and the refusal of the development secrets
this repository publishes when the deployment says production.

Standard library only: every service's environment (Rasa's and the action server's Python 3.10,
the console's and the data service's 3.11) imports it from the repository root, like signing/.
"""
from __future__ import annotations

from typing import Mapping

ENV_VARIABLE = "DEPLOYMENT_ENV"
DEVELOPMENT = "development"
PRODUCTION = "production"
DEPLOYMENTS = (DEVELOPMENT, PRODUCTION)

# The development values of the secrets two services share: what `make run` works with, public
# here, so refused in production.
DEV_DATASERVICE_KEY = "dev-dataservice-key"  # a client's key to the data service
DEV_HANDOFF_TOKEN = "dev-console-handoff-token"  # Rasa and the action server to the console
DEV_RELAY_SECRET = "dev-agent-relay-secret"  # the console's signature on what Rasa relays


def deployment(env: Mapping[str, str], error: type[Exception] = ValueError) -> str:
    """development (also when unset or empty) or production, exactly. Any other value stops the
    start with `error` (the caller's settings error): a misspelt "production" must not run on the
    development secrets."""
    value = (env.get(ENV_VARIABLE) or "").strip() or DEVELOPMENT
    if value not in DEPLOYMENTS:
        raise error(f"{ENV_VARIABLE} must be one of {', '.join(DEPLOYMENTS)}, not {value!r}.")
    return value


def is_production(env: Mapping[str, str], error: type[Exception] = ValueError) -> bool:
    return deployment(env, error) == PRODUCTION


def refuse_development_secrets(production: bool, checks: Mapping[str, tuple[bool, str]],
                               error: type[Exception] = ValueError) -> None:
    """In production, the first variable of `checks` ({variable: (it holds a development value,
    what it is for)}) that holds one stops the start with a message naming it: those values are
    public in this repository."""
    if not production:
        return
    for variable, (development, purpose) in checks.items():
        if development:
            raise error(f"{ENV_VARIABLE}={PRODUCTION} but {variable} is unset or a development "
                        f"value: set it to this deployment's own secret ({purpose}).")
