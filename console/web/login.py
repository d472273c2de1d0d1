"""Logging in and out, and the operator's language."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from console.settings import Settings
from console.web import accounts
from console.web.context import (LANG_COOKIE, PRELOGIN_CSRF_COOKIE, SESSION_COOKIE, Operator,
                                 checked_form, db, new_token, operator, render, request_language,
                                 settings)
from console.web.i18n import pick_language

router = APIRouter()


def _cookie(response, settings: Settings, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=settings.secure_cookies, path="/")


def _login_page(request: Request, cfg: Settings, status: int = 200, error: str | None = None):
    token = new_token()
    response = render(request, "login.html", None, status=status, error=error,
                      prelogin_csrf=token)
    _cookie(response, cfg, PRELOGIN_CSRF_COOKIE, token, 3600)
    return response


@router.get("/login")
def login_form(request: Request, cfg: Settings = Depends(settings)):
    return _login_page(request, cfg)


@router.post("/login")
async def login_submit(request: Request, session: Session = Depends(db),
                       cfg: Settings = Depends(settings)):
    form = await checked_form(request, request.cookies.get(PRELOGIN_CSRF_COOKIE))
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    result = accounts.authenticate(session, cfg, username, password)
    if result.user is None:
        session.commit()  # the failure count (and a lockout) is kept
        return _login_page(request, cfg, status=401, error=result.error)
    token = accounts.open_session(session, cfg, result.user, request_language(request))
    session.commit()
    response = RedirectResponse("/inbox", status_code=303)
    _cookie(response, cfg, SESSION_COOKIE, token, cfg.session_hours * 3600)
    response.delete_cookie(PRELOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, op: Operator = Depends(operator), session: Session = Depends(db)):
    await checked_form(request, op.login.csrf_token)
    accounts.close_session(session, request.cookies.get(SESSION_COOKIE))
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
async def language(request: Request, session: Session = Depends(db),
                   cfg: Settings = Depends(settings)):
    """Switch zh/en: for the login session when logged in, else for the login page."""
    found = accounts.find_session(session, request.cookies.get(SESSION_COOKIE))
    expected = found[0].csrf_token if found else request.cookies.get(PRELOGIN_CSRF_COOKIE)
    form = await checked_form(request, expected)
    lang = pick_language(str(form.get("language")))
    if found:
        found[0].language = lang
        session.commit()
    back = str(form.get("next") or "/inbox")
    response = RedirectResponse(back if back.startswith("/") and not back.startswith("//")
                                else "/inbox", status_code=303)
    _cookie(response, cfg, LANG_COOKIE, lang, 365 * 86400)
    return response
