"""Admin pages: operators and their roles, and the audit log."""
from __future__ import annotations

from typing import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import AuditEntry, User
from console.web import accounts
from console.web.context import Operator, PageError, checked_form, db, render, require
from console.web.roles import ROLES

router = APIRouter()


def _page(request: Request, op: Operator, session: Session, status: int = 200,
          error: str | None = None):
    users = session.scalars(select(User).order_by(User.username)).all()
    return render(request, "users.html", op, status=status, users=users, roles=ROLES, error=error)


def _changed(request: Request, op: Operator, session: Session, change: Callable[[], object]):
    """An account change saved, back to the list; refused, the page again with its reason."""
    try:
        change()
    except accounts.AccountError as exc:
        session.rollback()
        return _page(request, op, session, status=400, error=exc.key)
    session.commit()
    return RedirectResponse("/users", status_code=303)


@router.get("/users")
def user_list(request: Request, op: Operator = Depends(require("admin")),
              session: Session = Depends(db)):
    return _page(request, op, session)


@router.post("/users")
async def user_create(request: Request, op: Operator = Depends(require("admin")),
                      session: Session = Depends(db)):
    form = await checked_form(request, op.login.csrf_token)
    return _changed(request, op, session, lambda: accounts.create_user(
        session, op.user.username, str(form.get("username") or ""),
        str(form.get("password") or ""), str(form.get("role") or "")))


@router.post("/users/{user_id}/role")
async def user_role(request: Request, user_id: int, op: Operator = Depends(require("admin")),
                    session: Session = Depends(db)):
    form = await checked_form(request, op.login.csrf_token)
    user = session.get(User, user_id)
    if user is None:
        raise PageError(404, "not_found")
    return _changed(request, op, session, lambda: accounts.change_role(
        session, op.user.username, user, str(form.get("role") or "")))


@router.get("/audit")
def audit_log(request: Request, op: Operator = Depends(require("admin")),
              session: Session = Depends(db)):
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)).all()
    return render(request, "audit.html", op, entries=entries)
