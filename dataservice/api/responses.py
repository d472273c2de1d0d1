"""The error responses each route documents in /openapi.json, all with the one JSON error shape.

Routes declare the codes they can return (`responses=errors(404, 409)`); the app and the /v1 router
declare those every route under them can return. tests/dataservice/test_openapi_fuzz.py checks the
documentation against what the service really answers.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

REASONS = {
    400: "Malformed JSON body or Content-Length (code malformed_json or bad_request).",
    401: "Missing or invalid X-API-Key header (code unauthorized).",
    404: "No such record, or the verification factor does not match it (never told apart).",
    409: "The request conflicts with the record's state (slot full or started, booking passed).",
    413: "Request body larger than the limit (code payload_too_large).",
    415: "The body is not JSON (code unsupported_media_type).",
    422: "A parameter or body value is invalid (code validation_error or a more precise one).",
    429: "Too many failed verification attempts on this record; retry after Retry-After seconds "
         "(code too_many_attempts).",
    500: "A bug: never expected for any input (code internal_error; no stack trace).",
    503: "A backend is unavailable (database, or the verification limiter's Redis: the lookup is "
         "refused, not evaluated); retry after Retry-After seconds.",
}


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    """What every 4xx and 5xx carries."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorBody


class ItemList(BaseModel):
    """Every list answer: `items`, plus what the list is of (a slot list names its centre, service
    and date). One envelope, so a client reads every list the same way."""

    model_config = ConfigDict(extra="allow")

    items: list[dict[str, Any]]


# A list route's 200, checked against the answers by the Schemathesis run.
LIST = {200: {"model": ItemList, "description": "The list, under `items`."}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut, "description": REASONS[code]} for code in codes}


# Any request: the request guard in front of the app (dataservice/request_guard.py), and a bug.
EVERY_ROUTE = errors(400, 413, 500)
# Every /v1 route: the API key, parameter validation, the database behind it.
V1_ROUTES = errors(401, 422, 503)
# Routes with a JSON body (the guard's media-type check).
BODY_ROUTE = errors(415)
# Lookups behind a verification factor and its lockout.
VERIFIED_LOOKUP = errors(404, 429, 503)
