"""The HTTP transport to the data service: one pooled async client per action-server process.

`httpx2.AsyncClient` (the rasa environment's own httpx line, already pinned) keeps connections
pooled and, being async, a deadline really cancels the request instead of leaving a worker thread
blocked on a socket. Retries (with backoff) only for idempotent GETs; a circuit breaker
(`pybreaker`) makes an outage fail fast instead of piling up waiting calls. Operations live in
actions/api/gateway.py: nothing else builds a data-service URL.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx2
import pybreaker

from actions.settings import ActionSettings

log = logging.getLogger(__name__)

GET_RETRIES = 2
RETRY_BACKOFF_SECONDS = 0.1
RETRY_STATUSES = frozenset({502, 503, 504})


class DataServiceUnavailable(Exception):
    """The data service is down, slow, or the breaker is open: tell the citizen politely."""


class NotFound(Exception):
    """The record does not exist or the verification factor did not match (indistinguishable)."""


class Rejected(Exception):
    """The data service refused the request (4xx other than 404): carries its error code."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _ServerFault(Exception):
    """5xx / connection errors: counted by the breaker (4xx answers are not faults)."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.status = status


class Transport:
    def __init__(self, settings: ActionSettings):
        self.settings = settings
        self.http = httpx2.AsyncClient(
            base_url=settings.dataservice_url,
            headers={"X-API-Key": settings.dataservice_api_key, "Accept": "application/json"},
            timeout=httpx2.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            limits=httpx2.Limits(max_connections=32, max_keepalive_connections=16))
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset_seconds,
            exclude=[NotFound, Rejected])

    async def get(self, path: str, params: dict | None = None) -> Any:
        return await self._call("GET", path, params=params)

    async def post(self, path: str, body: dict, params: dict | None = None,
                   idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._call("POST", path, json=body, params=params, headers=headers)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One logical call: one breaker outcome, one deadline for all its attempts."""
        try:
            with self.breaker.calling():
                return await asyncio.wait_for(self._attempts(method, path, **kwargs),
                                              timeout=self.settings.deadline_seconds)
        except (_ServerFault, pybreaker.CircuitBreakerError, asyncio.TimeoutError) as exc:
            reason = "deadline exceeded" if isinstance(exc, asyncio.TimeoutError) else str(exc)
            log.warning("data service unavailable for %s %s: %s", method, path, reason)
            raise DataServiceUnavailable(reason) from exc

    async def _attempts(self, method: str, path: str, **kwargs: Any) -> Any:
        # A GET changes nothing, so a retry is safe; a POST is sent once (a booking carries an
        # Idempotency-Key, so the citizen's own retry cannot book twice).
        attempts = 1 + (GET_RETRIES if method == "GET" else 0)
        for attempt in range(attempts):
            try:
                return await self._request(method, path, **kwargs)
            except _ServerFault as fault:
                retryable = fault.status is None or fault.status in RETRY_STATUSES
                if attempt == attempts - 1 or not retryable:
                    raise
                await asyncio.sleep(RETRY_BACKOFF_SECONDS * 2 ** attempt)
        raise AssertionError("unreachable")

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = await self.http.request(method, path, **kwargs)
        except httpx2.HTTPError as exc:
            raise _ServerFault(type(exc).__name__) from exc
        if resp.status_code >= 500:
            raise _ServerFault(f"HTTP {resp.status_code}", resp.status_code)
        if resp.status_code == 404:
            raise NotFound(path)
        if resp.status_code >= 400:
            try:
                err = resp.json().get("error", {})
            except ValueError:
                err = {}
            raise Rejected(resp.status_code, err.get("code", "rejected"), err.get("message", ""))
        return resp.json()

