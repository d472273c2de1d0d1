"""The citizens' web chat page, GET /chat, served by the socket.io channel's own server: the same
origin as /socket.io, so the page needs no CORS. Its files are bot/webchat/static (the socket.io
client is vendored there from npm at the version bot/webchat/package-lock.json pins), read once at
start-up and served from memory under a fixed list of names, each with a strict
Content-Security-Policy: scripts and styles only from this origin, nothing from a CDN.

Settings (bot/settings.py): WEBCHAT_FRAME_ANCESTORS (origins allowed to show the page in a frame, e.g.
"https://www.example.gov.cn"; default 'self'), SOCKETIO_MAX_MESSAGE_CHARS (the composer's limit,
the channel's own).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

STATIC = Path(__file__).resolve().parents[1] / "webchat" / "static"
ASSETS = {"chat.js": "text/javascript; charset=utf-8", "chat.css": "text/css; charset=utf-8",
          "vendor/socket.io.min.js": "text/javascript; charset=utf-8"}
_ORIGIN = re.compile(r"^(?:'self'|'none'|https?://[A-Za-z0-9.*-]+(?::\d+)?)$")


def frame_ancestors(value: Optional[str]) -> str:
    """The CSP frame-ancestors sources from WEBCHAT_FRAME_ANCESTORS (space-separated origins)."""
    sources = (value or "'self'").split()
    bad = [s for s in sources if not _ORIGIN.match(s)]
    if bad:
        raise ValueError(f"WEBCHAT_FRAME_ANCESTORS: not an origin: {bad[0]!r}")
    return " ".join(sources)


def security_headers(ancestors: str) -> Dict[str, str]:
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self' https: data:; base-uri 'none'; form-action 'none'; "
            f"frame-ancestors {ancestors}"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def add_chat_page(app: Sanic, max_message: int, ancestors: Optional[str] = None) -> None:
    """Routes GET /chat (the page) and GET /chat/<asset> on `app`; `ancestors`:
    WEBCHAT_FRAME_ANCESTORS (bot/settings.py)."""
    headers = security_headers(frame_ancestors(ancestors))
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{max_chars}}", str(max_message))
    assets = {name: (STATIC / name).read_bytes() for name in ASSETS}

    async def chat_page(_: Request) -> HTTPResponse:
        return response.html(page, headers=headers)

    async def chat_page_slash(_: Request) -> HTTPResponse:
        # Relative, so the page keeps working behind a proxy that mounts the server under a prefix.
        return response.redirect("../chat", status=301)

    async def chat_asset(_: Request, name: str) -> HTTPResponse:
        if name not in assets:
            return response.json({"error": "not_found", "message": "No such file."}, status=404)
        return response.raw(assets[name], content_type=ASSETS[name], headers=headers)

    app.add_route(chat_page, "/chat", methods=["GET"], name="webchat_page", strict_slashes=True)
    app.add_route(chat_page_slash, "/chat/", methods=["GET"], name="webchat_page_slash",
                  strict_slashes=True)
    app.add_route(chat_asset, "/chat/<name:path>", methods=["GET"], name="webchat_asset")
