"""The one client of the data service.

A pooled `requests.Session`, explicit (connect, read) timeouts, retries with backoff only for
idempotent GETs, and a circuit breaker so an outage fails fast instead of piling up waiting calls.
Every public coroutine runs the blocking call in a worker thread (`asyncio.to_thread`), so one slow
call never stalls the action server's event loop.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import pybreaker
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from actions.settings import ActionSettings, get_settings

log = logging.getLogger(__name__)


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


class DataServiceClient:
    def __init__(self, settings: ActionSettings | None = None):
        self.settings = settings or get_settings()
        self.session = requests.Session()
        retry = Retry(total=2, connect=2, read=1, backoff_factor=0.1,
                      status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET"}),
                      raise_on_status=False)
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"X-API-Key": self.settings.dataservice_api_key,
                                     "Accept": "application/json"})
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=self.settings.breaker_fail_max,
            reset_timeout=self.settings.breaker_reset_seconds,
            exclude=[NotFound, Rejected])

    # -- blocking core ---------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.settings.dataservice_url + path
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        try:
            resp = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise _ServerFault(type(exc).__name__) from exc
        if resp.status_code >= 500:
            raise _ServerFault(f"HTTP {resp.status_code}")
        if resp.status_code == 404:
            raise NotFound(path)
        if resp.status_code >= 400:
            try:
                err = resp.json().get("error", {})
            except ValueError:
                err = {}
            raise Rejected(resp.status_code, err.get("code", "rejected"), err.get("message", ""))
        return resp.json()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self.breaker.call(self._request, method, path, **kwargs)
        except (_ServerFault, pybreaker.CircuitBreakerError) as exc:
            log.warning("data service unavailable for %s %s: %s", method, path.split("?")[0], exc)
            raise DataServiceUnavailable(str(exc)) from exc

    async def _async(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.call, method, path, **kwargs),
                                          timeout=self.settings.deadline_seconds)
        except asyncio.TimeoutError as exc:
            raise DataServiceUnavailable("deadline exceeded") from exc

    async def get(self, path: str, params: dict | None = None) -> Any:
        return await self._async("GET", path, params=params)

    async def post(self, path: str, body: dict, params: dict | None = None,
                   idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._async("POST", path, json=body, params=params, headers=headers)


_client: DataServiceClient | None = None


def get_client() -> DataServiceClient:
    """One pooled client per action-server process."""
    global _client
    if _client is None:
        _client = DataServiceClient()
    return _client


def set_client(client: DataServiceClient | None) -> None:
    """Tests point the actions at a data service of their own."""
    global _client
    _client = client
