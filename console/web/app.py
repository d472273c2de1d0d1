"""The console web app (FastAPI serving server-rendered Jinja2 pages)."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from console.settings import Settings
from console.handoff.services import HandoffServices
from console.web import (conversations, dashboard, desk, handoff_api, inbox, login, model_server,
                         training, users)
from console.web.context import LoginRequired, PageError, render
from dataservice.db import make_engine, make_sessionmaker

SECURITY_HEADERS = {
    # Pages load only this console's own files: no inline script can run, whatever a citizen typed.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(settings: Settings, sessions: sessionmaker[Session] | None = None) -> FastAPI:
    app = FastAPI(title="Operator console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessions = sessions or make_sessionmaker(make_engine(settings.database_url))
    app.state.handoff = HandoffServices.from_settings(settings)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))),
              name="static")
    for module in (login, inbox, conversations, dashboard, users, training, model_server, desk,
                   handoff_api):
        app.include_router(module.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/inbox", status_code=303)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError):
        return render(request, "error.html", None, status=exc.status, key=exc.key)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        key = {404: "not_found", 403: "forbidden"}.get(exc.status_code, "bad_request")
        return render(request, "error.html", None, status=exc.status_code, key=key)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, _exc: RequestValidationError):
        return render(request, "error.html", None, status=400, key="bad_request")

    return app
