"""One JSON error shape for every failure.

Clients always get {"error": {"code": ..., "message": ...}} with a 4xx for bad input, a retryable
503 when a backend is unreachable; a 500 carries no stack trace. Checks that apply to every request
(size, media type, strict JSON) run before the app, in dataservice/request_guard.py.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: object = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def error_body(code: str, message: str, details: object = None) -> dict:
    body: dict = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _validation_details(exc: RequestValidationError) -> list[dict]:
    # Echoing the rejected input back could reflect a huge or hostile value; keep location and reason.
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError):
        return JSONResponse(error_body(exc.code, exc.message, exc.details),
                              status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError):
        details = _validation_details(exc)
        if any(d["type"] == "json_invalid" for d in details):
            return JSONResponse(error_body("malformed_json", "The request body is not valid JSON."),
                                  status_code=400)
        return JSONResponse(error_body("validation_error", "The request is invalid.", details),
                              status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        return JSONResponse(error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
                              status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_unavailable(_req: Request, exc: Exception):
        log.error("database unavailable: %s", type(exc).__name__)
        return JSONResponse(error_body("database_unavailable",
                                       "The service is temporarily unavailable; please retry."),
                              status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(DataError)
    async def _data_error(_req: Request, exc: DataError):
        # A value the database refuses (out of range, bad encoding) that validation let through.
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        return JSONResponse(error_body("invalid_value", "A value in the request is out of range."),
                              status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception):
        log.exception("unhandled error: %s", type(exc).__name__)
        return JSONResponse(error_body("internal_error", "Internal error."), status_code=500)
