"""Driving the console as a browser would: forms carry the CSRF token the page gave them."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.console.conftest import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    return _TOKEN.search(html).group(1)


def login(app, username: str, password: str = PASSWORD, base_url: str = "http://testserver"):
    client = TestClient(app, base_url=base_url, follow_redirects=False)
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf(page.text)})
    return client, response


def logged_in(app, username: str) -> tuple[TestClient, str]:
    """A client logged in as `username`, and its session's CSRF token."""
    client, response = login(app, username)
    assert response.status_code == 303, response.text
    return client, csrf(client.get("/inbox").text)
