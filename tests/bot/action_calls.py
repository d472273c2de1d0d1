"""A recording proxy between Rasa and the action server: which actions Rasa asked the action server
to run, per conversation, so a test can count the action-server calls a turn costs."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FORWARDED_HEADERS = ("Authorization", "Content-Type")


class ActionCalls:
    """Listens on 127.0.0.1:`port` and forwards every request to `target` (the action server)."""

    def __init__(self, port: int, target: str):
        self.target = target.rstrip("/")
        self._calls: dict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self, sender: str) -> list[str]:
        """The actions run so far, in order, for the conversation of `sender` (a channel names it
        with a prefix, e.g. `rest:<integrator>:<sender>`)."""
        with self._lock:
            return [name for conversation, names in self._calls.items()
                    if conversation == sender or conversation.endswith(":" + sender)
                    for name in names]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _record(self, body: bytes) -> None:
        try:
            request = json.loads(body)
        except ValueError:
            return
        sender = (request.get("tracker") or {}).get("sender_id", "")
        with self._lock:
            self._calls[sender].append(request.get("next_action", ""))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command == "POST":
                    proxy._record(body)
                headers = {h: self.headers[h] for h in FORWARDED_HEADERS if self.headers.get(h)}
                request = urllib.request.Request(proxy.target + self.path, data=body or None,
                                                 headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, payload = answer.status, answer.read()
                except urllib.error.HTTPError as refused:
                    status, payload = refused.code, refused.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _forward

            def log_message(self, *args) -> None:  # quiet: the action server logs its own
                pass

        return Handler
