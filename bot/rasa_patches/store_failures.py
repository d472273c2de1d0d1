"""What the tracker store does when its database fails: retry briefly, then fail loudly.

Rasa wraps every tracker store in `FailSafeTrackerStore` (rasa.core.agent), which on a failed save
logs an error and saves into process memory instead, and on a failed read returns no tracker (a new,
empty conversation). The channel then answers 200 for a message that is not stored, and operators
see an empty history. `serve_unwrapped()` lets a store that declares `fails_loudly` be used as it
is (`install()`, from bot.rasa_patches.install); its errors reach the channel, which answers a
retryable 503, and the HTTP API answers 503.

A dropped connection (database restart, failover, `pg_terminate_backend`) is retried on a fresh
connection a few times first; only a lasting outage reaches the citizen.
"""
from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

import sqlalchemy as sa
from rasa.core.agent import Agent
from sanic.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

# Three tries over about a third of a second: long enough for a pool to reconnect after a dropped
# connection, short enough that a real outage answers 503 well within the integrator's timeout.
ATTEMPTS = 3
BACKOFF_SECONDS = (0.05, 0.25)


class TrackerStoreUnavailable(ServiceUnavailable):
    """The conversation could not be read or saved. A 503 (Sanic renders it on the HTTP API; the
    channels answer 503 to any failure of on_new_message): the caller may retry."""


def is_transient(error: BaseException) -> bool:
    """A lost or refused connection, a lock timeout: worth another try on a fresh connection."""
    if isinstance(error, sa.exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, (sa.exc.OperationalError, sa.exc.InterfaceError))
    return isinstance(error, sa.exc.DisconnectionError)


def with_retries(work: Callable[[int], T], what: str) -> T:
    """`work(attempt)` until it succeeds or a non-transient error or the last attempt fails;
    then TrackerStoreUnavailable. Only the error's class reaches the log: its text can hold the
    statement (engines are built with hide_parameters, but a message could still quote data)."""
    for attempt in range(ATTEMPTS):
        try:
            return work(attempt)
        except sa.exc.SQLAlchemyError as error:
            kind = type(getattr(error, "orig", None) or error).__name__
            if not is_transient(error) or attempt == ATTEMPTS - 1:
                log.error("Tracker store: could not %s (%s) after %d attempt(s)", what, kind,
                          attempt + 1)
                raise TrackerStoreUnavailable("The conversation store is unavailable; retry "
                                              "later.") from None
            log.warning("Tracker store: %s failed (%s), retrying on a fresh connection", what, kind)
            time.sleep(BACKOFF_SECONDS[attempt])
    raise AssertionError("unreachable")


_original_create_tracker_store = Agent._create_tracker_store


def _create_tracker_store(store, domain):
    if getattr(store, "fails_loudly", False):
        store.domain = domain
        return store
    return _original_create_tracker_store(store, domain)


def install() -> None:
    """Agents built from now on use a store with `fails_loudly = True` without the fail-safe
    wrapper."""
    Agent._create_tracker_store = staticmethod(_create_tracker_store)
