"""The action server: rasa-sdk's Sanic app, reachable only by the Rasa server.

`python -m actions.server` instead of `rasa run actions`, which listens on every interface and
runs any action for anyone (a crafted `POST /webhook` could file a 12345 ticket). Here:

- it listens on `ACTION_SERVER_HOST` (default 127.0.0.1) and `ACTION_SERVER_PORT` (default 5055);
- every request but `GET /health` must carry `Authorization: Bearer <ACTION_SERVER_TOKEN>`, the
  shared secret Rasa sends from bot/endpoints.yml; otherwise a 401 JSON error;
- it refuses to start when the secret is unset and, with `DEPLOYMENT_ENV=production`, when it or
  another secret is a development one (`dev-` prefix, as scripts/run_backend.sh generates, or
  shorter than 24 characters; actions/settings.py checks every setting at start).
"""
from __future__ import annotations

import argparse
import hmac
import logging
import sys

from sanic import Sanic, response
from sanic.request import Request

from actions.settings import InsecureConfiguration, action_server_token, get_settings

log = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})  # liveness probes carry no secret


def require_token(app: Sanic, token: str) -> None:
    """Every route but OPEN_PATHS answers 401 unless the request carries the shared secret."""
    expected = f"Bearer {token}".encode("utf-8")

    @app.middleware("request")
    async def check_token(request: Request):
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("Authorization", "").encode("utf-8")
        if not hmac.compare_digest(given, expected):
            return response.json({"error": "unauthorized",
                                  "message": "missing or wrong action server token"}, status=401)
        return None

    @app.exception(Exception)
    async def internal_error(request: Request, exception: Exception):
        # rasa-sdk's own handler echoes the request body (the tracker, with personal data).
        log.error("Action server error on %s %s (%s)", request.method, request.path,
                  type(exception).__name__, exc_info=exception)
        return response.json({"error": "internal_error"}, status=500)


def create_app(token: str) -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app
    from rasa_sdk.plugin import plugin_manager

    app = create_sdk_app("actions", cors_origins=None)
    require_token(app, token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def main(argv: list[str] | None = None) -> None:
    try:  # every setting checked before anything starts (actions/settings.py)
        token, settings = action_server_token(), get_settings()
    except InsecureConfiguration as refused:
        print(f"error: {refused}", file=sys.stderr)
        raise SystemExit(2) from None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    from rasa_sdk import utils
    utils.configure_colored_logging(settings.log_level)
    utils.update_sanic_log_level()
    log.info("Action server on http://%s:%d (token required)", args.host, args.port)
    create_app(token).run(args.host, args.port, workers=utils.number_of_sanic_workers())


if __name__ == "__main__":
    main()
