"""A Sanic server with this project's channel connectors (integrator webhook, WeChat, socket.io)
and a stand-in for Rasa's agent, for tests of what the channels themselves must do: conversation
ids, limits, strict input, outages. The agent answers `echo <conversation id> <text>` (so a test
sees which conversation a message reached), raises on `!fail` (as Rasa does when the tracker
store's database is down) and sleeps on `!sleep <seconds>`. For the web chat page: `!agent <name>
<text>` answers as a person would during a handoff (a bot message with `metadata.agent`), `!image
<url>` sends an image, `!buttons <a> <b>` quick replies.

    python -m tests.bot.channel_harness <port>     (channel settings from the environment)
"""
from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from bot.channels.integrator_rest import IntegratorRestInput
from bot.channels.web_socketio import WebSocketIOInput
from bot.channels.wechat import WeChatInput


class TrackerStoreDown(Exception):
    pass


class EchoAgent:
    tracker_store = None  # the integrator webhook then skips its message_id lookup in the conversation

    async def handle_message(self, message: UserMessage) -> None:
        text = message.text or ""
        if text == "!fail":
            raise TrackerStoreDown("the tracker store's database is unavailable")
        if text.startswith("!sleep "):
            await asyncio.sleep(float(text.split()[1]))
        if text.startswith("!agent "):
            name, _, reply = text[len("!agent "):].partition(" ")
            await message.output_channel.sio.emit(
                "bot_uttered", {"text": reply, "metadata": {"agent": {"id": "agent-1", "name": name}}},
                room=message.sender_id)
            return
        if text.startswith("!image "):
            await message.output_channel.send_image_url(message.sender_id, text.split()[1])
            return
        if text.startswith("!buttons "):
            buttons = [{"title": b, "payload": f"/pick {b}"} for b in text.split()[1:]]
            await message.output_channel.send_text_with_buttons(message.sender_id, "choose", buttons)
            return
        await message.output_channel.send_text_message(message.sender_id,
                                                        f"echo {message.sender_id} {text}")


def oversized_post(port: int, path: str, declared: int, sent: int = 2_000_000,
                   headers: str = "") -> tuple[int, float, bool]:
    """POST declaring `declared` body bytes, sending `sent` of them: (status, seconds to answer,
    whether the server then closed the connection instead of draining the rest). A server that
    reads before it refuses takes long here and grows in memory."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n{headers}"
                  f"Content-Length: {declared}\r\n\r\n".encode())
        try:
            for _ in range(sent // 65536):
                s.sendall(b"<" * 65536)
        except OSError:  # the server answered and closed while we were still sending
            pass
        head = s.recv(4096)
        seconds = time.monotonic() - started
        s.settimeout(5)
        try:
            while s.recv(65536):
                pass
            closed = True
        except socket.timeout:  # still open, waiting for the other 93 MB
            closed = False
        except OSError:  # reset
            closed = True
    return int(head.split()[1]), seconds, closed


@contextmanager
def harness_server(env: dict, log: Path) -> Iterator[tuple[subprocess.Popen, int, str]]:
    """This harness in a process of its own with `env`: (process, port, base URL), until exit."""
    from bench.processes import free_port, stop, wait_http

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tests.bot.channel_harness", str(port)],
                            cwd=Path(__file__).resolve().parents[2], env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/webhooks/rest/", 120, proc, log)
        yield proc, port, base
    finally:
        stop([proc])


def app() -> Sanic:
    server = Sanic("channel_harness")
    server.ctx.agent = EchoAgent()
    register([IntegratorRestInput.from_credentials(None), WeChatInput.from_credentials(None),
              WebSocketIOInput.from_credentials({"user_message_evt": "user_uttered",
                                                 "bot_message_evt": "bot_uttered"})],
             server, route="/webhooks/")
    return server


if __name__ == "__main__":
    app().run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, workers=1)
