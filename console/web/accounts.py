"""Operators: creating them, logging in with lockout, and login sessions."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from console import audit
from dataservice.db import make_engine, make_sessionmaker
from console.models import LoginSession, User
from console.settings import Settings
from console.web.passwords import hash_password, password_problem, verify_password
from console.web.roles import ROLES

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


class AccountError(ValueError):
    """`key` names the message shown to the operator (console/web/i18n.py)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they are stored as UTC."""
    return value.replace(tzinfo=timezone.utc) if value and value.tzinfo is None else value


def create_user(session: Session, actor: str, username: str, password: str, role: str) -> User:
    if not USERNAME.match(username):
        raise AccountError("username_invalid")
    if role not in ROLES:
        raise AccountError("role_invalid")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError("username_taken")
    user = User(username=username, password_hash=hash_password(password), role=role,
                failed_logins=0, created_at=now())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", f"user:{username}", None,
                 {"username": username, "role": role})
    return user


def change_role(session: Session, actor: str, user: User, role: str) -> None:
    if role not in ROLES:
        raise AccountError("role_invalid")
    before = {"role": user.role}
    user.role = role
    audit.record(session, actor, "user.role", f"user:{user.username}", before, {"role": role})


def create_first_admin(settings: Settings, username: str, password: str) -> None:
    """The command that bootstraps a console: refused once an admin exists."""
    sessions = make_sessionmaker(make_engine(settings.database_url))
    with sessions() as session, session.begin():
        if session.scalar(select(User.id).where(User.role == "admin")) is not None:
            raise AccountError("an admin already exists: log in and add operators on the Users page")
        create_user(session, "(create-admin command)", username, password, "admin")


@dataclass
class LoginResult:
    user: User | None = None
    error: str | None = None  # i18n key


def authenticate(session: Session, settings: Settings, username: str, password: str) -> LoginResult:
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and aware(user.locked_until) and aware(user.locked_until) > now():
        return LoginResult(error="locked")
    if not verify_password(user.password_hash if user else None, password) or user is None:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.lockout_failures:
                user.locked_until = now() + timedelta(minutes=settings.lockout_minutes)
                user.failed_logins = 0
                audit.record(session, username, "user.locked", f"user:{username}", None,
                             {"locked_until": user.locked_until.isoformat()})
        return LoginResult(error="bad_login")
    user.failed_logins = 0
    user.locked_until = None
    return LoginResult(user=user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, settings: Settings, user: User, language: str) -> str:
    """A new login session; returns the cookie value (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_digest(token), user_id=user.id,
                             csrf_token=secrets.token_urlsafe(32), language=language,
                             expires_at=now() + timedelta(hours=settings.session_hours)))
    return token


def find_session(session: Session, token: str | None) -> tuple[LoginSession, User] | None:
    if not token or len(token) > 100:
        return None
    login = session.get(LoginSession, _digest(token))
    if login is None or aware(login.expires_at) <= now():
        return None
    return login, session.get(User, login.user_id)


def close_session(session: Session, token: str | None) -> None:
    if token and len(token) <= 100:
        login = session.get(LoginSession, _digest(token))
        if login is not None:
            session.delete(login)
