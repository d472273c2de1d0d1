"""Login, roles, CSRF, cookies, lockout, audit: what keeps the console safe to expose."""
from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from console.models import Annotation, AuditEntry, User
from console.settings import Settings
from console.web.accounts import AccountError, create_first_admin
from console.web.app import create_app
from tests.console.events import user
from tests.console.web import csrf, logged_in, login
from console.ingest.store import store_events


def test_pages_need_a_login(app):
    client = TestClient(app, follow_redirects=False)
    for path in ("/inbox", "/conversations", "/dashboard", "/users", "/audit"):
        response = client.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/login")


def test_session_cookie_is_httponly_samesite_and_secure_in_production(app, console_settings,
                                                                      sessions):
    _, response = login(app, "viewer")
    cookie = response.headers["set-cookie"]
    assert "console_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/" in cookie and "Secure" not in cookie
    production = create_app(replace(console_settings, deployment_env="production",
                                    secure_cookies=True), sessions)
    _, response = login(production, "viewer", base_url="https://testserver")
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]


def test_wrong_password_then_lockout_even_for_the_right_one(app, sessions, console_settings):
    for _ in range(console_settings.lockout_failures):
        _, response = login(app, "annotator", "wrong password!")
        assert response.status_code == 401
    _, response = login(app, "annotator")  # right password, but locked
    assert response.status_code == 401
    assert "locked" in response.text or "锁定" in response.text
    with sessions() as s:
        assert list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.target == "user:annotator").order_by(AuditEntry.id))) == [
            "user.create", "user.locked"]
    _, response = login(app, "viewer")  # other operators are not affected
    assert response.status_code == 303


def test_a_form_without_its_csrf_token_is_refused(app, sessions):
    client = TestClient(app, follow_redirects=False)
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": "correct horse battery"})
    assert response.status_code == 403 and "console_session" not in response.headers.get(
        "set-cookie", "")
    client, _token = logged_in(app, "annotator")
    with sessions() as s, s.begin():
        store_events(s, [user("web:a", "hello there", "nlu_fallback", 0.3)])
    response = client.post("/inbox/decide", data={"normalized_text": "hello there",
                                                  "decision": "out_of_scope"})
    assert response.status_code == 403
    response = client.post("/inbox/decide", data={"normalized_text": "hello there",
                                                  "decision": "out_of_scope",
                                                  "csrf_token": "forged"})
    assert response.status_code == 403
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0


def test_a_viewer_cannot_annotate_or_manage_users(app, sessions):
    with sessions() as s, s.begin():
        store_events(s, [user("web:a", "hello there", "nlu_fallback", 0.3)])
    client, token = logged_in(app, "viewer")
    assert "/inbox/decide" not in client.get("/inbox").text  # no annotation form shown either
    response = client.post("/inbox/decide", data={"normalized_text": "hello there",
                                                  "decision": "out_of_scope", "csrf_token": token})
    assert response.status_code == 403
    assert client.get("/users").status_code == 403
    assert client.post("/users", data={"username": "eve", "password": "x" * 12, "role": "admin",
                                       "csrf_token": token}).status_code == 403
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Annotation)) == 0
        assert s.scalar(select(User.id).where(User.username == "eve")) is None


def test_admin_adds_an_operator_and_the_audit_log_says_who_what_before_after(app, sessions):
    client, token = logged_in(app, "admin")
    response = client.post("/users", data={"username": "li.wei", "password": "a long password 1",
                                           "role": "annotator", "csrf_token": token})
    assert response.status_code == 303
    with sessions() as s:
        new_id = s.scalar(select(User.id).where(User.username == "li.wei"))
    client.post(f"/users/{new_id}/role", data={"role": "trainer", "csrf_token": token})
    with sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.role")).one()
        assert (entry.username, entry.target, entry.before, entry.after) == (
            "admin", "user:li.wei", {"role": "annotator"}, {"role": "trainer"})
    page = client.get("/audit").text
    assert "user.role" in page and "li.wei" in page
    bad = client.post("/users", data={"username": "x", "password": "short", "role": "admin",
                                      "csrf_token": token})
    assert bad.status_code == 400


def test_the_first_admin_command_runs_once_and_wants_a_real_password(console_settings, sessions):
    with pytest.raises(AccountError):
        create_first_admin(console_settings, "root", "short")
    create_first_admin(console_settings, "root", "a long admin password")
    with pytest.raises(AccountError):
        create_first_admin(console_settings, "root2", "a long admin password")
    with sessions() as s:
        stored = s.scalars(select(User).where(User.username == "root")).one()
        assert stored.role == "admin" and stored.password_hash.startswith("$argon2id$")


def test_production_is_read_from_deployment_env():
    from console.settings import SettingsError, load_settings
    secrets = {"CONSOLE_HANDOFF_TOKEN": "a" * 32, "AGENT_RELAY_SECRET": "b" * 32}
    assert load_settings({"DEPLOYMENT_ENV": "production", **secrets}).secure_cookies
    assert not load_settings({}).secure_cookies
    for name in secrets:  # the handoff's development secrets are refused in production
        with pytest.raises(SettingsError, match=name):
            load_settings({"DEPLOYMENT_ENV": "production", **secrets, name: ""})
    with pytest.raises(SettingsError, match="DEPLOYMENT_ENV"):
        load_settings({"DEPLOYMENT_ENV": "prod"})


def test_before_a_choice_the_login_page_follows_the_browsers_language(app):
    from fastapi.testclient import TestClient
    client = TestClient(app)
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,zh-CN;q=0.8"}).text
    chinese = client.get("/login", headers={"Accept-Language": "fr-FR,zh-TW;q=0.9,en;q=0.5"}).text
    default = client.get("/login", headers={"Accept-Language": "fr-FR,de;q=0.9"}).text
    assert 'lang="en"' in english and 'lang="zh' in chinese and 'lang="zh' in default
    client.cookies.set("console_lang", "zh")  # a choice made on the page wins over the browser
    assert 'lang="zh' in client.get("/login", headers={"Accept-Language": "en"}).text


def test_pages_in_both_languages_and_the_switch_keeps_to_the_session(app):
    client, token = logged_in(app, "viewer")
    assert "待处理" in client.get("/inbox").text
    response = client.post("/language", data={"language": "en", "next": "/dashboard",
                                              "csrf_token": token})
    assert response.headers["location"] == "/dashboard"
    page = client.get("/inbox").text
    assert "Inbox" in page and "待处理" not in page
    assert client.post("/language", data={"language": "en", "next": "https://evil.example",
                                          "csrf_token": token}).headers["location"] == "/inbox"


def test_security_headers_forbid_inline_script(app):
    response = TestClient(app).get("/login")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
