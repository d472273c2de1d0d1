"""`python -m console migrate | create-admin USERNAME | consume | worker | serve`."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
import threading

from console.settings import SettingsError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="console")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the console database")
    admin = sub.add_parser("create-admin", help="create the first admin (password from "
                                                "CONSOLE_ADMIN_PASSWORD or a prompt)")
    admin.add_argument("username")
    sub.add_parser("consume", help="store the events Rasa publishes")
    sub.add_parser("worker", help="run training jobs from the queue, one at a time")
    serve = sub.add_parser("serve", help="run the web console")
    serve.add_argument("--host", default=os.environ.get("CONSOLE_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", "8100")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.command == "migrate":
        from console.migrate import upgrade
        upgrade(settings.database_url)
    elif args.command == "create-admin":
        from console.web.accounts import AccountError, create_first_admin
        password = os.environ.get("CONSOLE_ADMIN_PASSWORD") or getpass.getpass("password: ")
        try:
            create_first_admin(settings, args.username, password)
        except AccountError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"admin {args.username!r} created")
    elif args.command == "consume":
        from console.ingest.consumer import consume
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        consume(settings, stop)
    elif args.command == "worker":
        from console.training.queue import TrainingQueue
        TrainingQueue(settings).work()
    elif args.command == "serve":
        import uvicorn
        from console.web.app import create_app
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
