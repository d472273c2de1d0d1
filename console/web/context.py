"""Per-request plumbing shared by every page: the database session, who is logged in, their
language, role checks, CSRF checks and rendering."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from console.models import LoginSession, User
from console.settings import Settings
from console.web.accounts import find_session
from console.web.i18n import browser_language, pick_language, translate
from console.web.roles import at_least

SESSION_COOKIE = "console_session"
LANG_COOKIE = "console_lang"
PRELOGIN_CSRF_COOKIE = "console_csrf"  # double-submit token for the login form
MAX_FIELD = 2000

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


class LoginRequired(Exception):
    """Raised by a page that needs a login; the app answers with a redirect to /login."""


class PageError(Exception):
    """An error page in the operator's language with this status and i18n key."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status, self.key = status, key


@dataclass
class Operator:
    user: User
    login: LoginSession

    @property
    def language(self) -> str:
        return self.login.language


def db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def settings(request: Request) -> Settings:
    return request.app.state.settings


def operator(request: Request, session: Session = Depends(db)) -> Operator:
    found = find_session(session, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise LoginRequired()
    login, user = found
    return Operator(user=user, login=login)


def require(role: str) -> Callable[..., Operator]:
    def check(op: Operator = Depends(operator)) -> Operator:
        if not at_least(op.user.role, role):
            raise PageError(403, "forbidden")
        return op
    return check


async def checked_form(request: Request, expected_token: str | None) -> FormData:
    """The posted form, after its CSRF token matched; fields longer than MAX_FIELD are refused."""
    form = await request.form()
    token = form.get("csrf_token")
    if not expected_token or not isinstance(token, str) or not hmac.compare_digest(
            token.encode(), expected_token.encode()):
        raise PageError(403, "csrf")
    if any(isinstance(v, str) and len(v) > MAX_FIELD for v in form.values()):
        raise PageError(400, "too_long")
    return form


def request_language(request: Request, op: Operator | None = None) -> str:
    if op:
        return op.language
    return pick_language(request.cookies.get(LANG_COOKIE),
                         default=browser_language(request.headers.get("accept-language")))


def render(request: Request, template: str, op: Operator | None, status: int = 200,
           language: str | None = None, **values: Any):
    lang = language or request_language(request, op)
    csrf = op.login.csrf_token if op else values.pop("prelogin_csrf", None)
    context = {"t": lambda key, **kw: translate(key, lang, **kw), "lang": lang, "op": op,
               "csrf_token": csrf, "role_at_least": lambda r: op is not None and at_least(
                   op.user.role, r), **values}
    return templates.TemplateResponse(request, template, context, status_code=status)


def new_token() -> str:
    return secrets.token_urlsafe(32)
