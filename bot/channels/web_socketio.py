"""The web chat widget's socket.io channel (rasa-webchat and the like), with sessions the server
issues.

Rasa's built-in `socketio` channel takes the client's `session_id` as the conversation id, so any
client could name (and act inside) any conversation. Here the server issues every session: on
`session_request` a client gets back (`session_confirm`) either the token it presented, if this
server signed it, or a new one; its conversation is `web:<session>`. The `session_id` a client
puts in `user_uttered` is ignored: the socket's own session decides. Bot messages go to the
session's room, which only sockets holding its token join. Path (/socket.io) and event names
(user_uttered / bot_uttered, session_request / session_confirm) are Rasa's, so widgets work as is.
The same server serves the citizens' web chat page at /chat (bot/channels/webchat_page.py), and
replays to a socket that resumes a session the bot messages it missed (bot/channels/webchat_replay.py).

Limits (docs/security.md, "Channels"): engine.io packets and HTTP bodies of at most
SOCKETIO_MAX_PAYLOAD_BYTES, messages of at most SOCKETIO_MAX_MESSAGE_CHARS, token buckets per
session and per client address (Redis when REDIS_URL is set). Refusals and outages are answered
with a polite bilingual bot message.

Settings (bot/settings.py, SocketIOSettings): SOCKETIO_SESSION_SECRET (required in production),
SOCKETIO_MAX_MESSAGE_CHARS (2000), SOCKETIO_MAX_PAYLOAD_BYTES (16384),
SOCKETIO_SESSION_RATE_PER_MINUTE (30) / SOCKETIO_SESSION_BURST (10),
SOCKETIO_ADDRESS_RATE_PER_MINUTE (120) / SOCKETIO_ADDRESS_BURST (40), SOCKETIO_REDIS_PREFIX
(`shps:socketio:`), REDIS_URL.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from rasa.core.channels.channel import InputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput

from bot.channels import handoff_notice, replies
from bot.channels.inputs import InvalidInput, bad_text, check_strings, conversation_id, limit_body
from bot.channels.state import LazyState, StateUnavailable, hashed
from bot.channels.webchat_page import add_chat_page
from bot.channels.webchat_replay import ReplayingServer
from bot.settings import ConsoleNoticeSettings, SocketIOSettings, environment, with_credentials

logger = logging.getLogger(__name__)

EMIT_CHANNEL = "emit"  # after SOCKETIO_REDIS_PREFIX: the Redis channel replicas share emits on
_LOCAL_SERVERS: list = []  # this process's socket.io servers (agent replies without Redis)
_PUBLISHERS: dict = {}


class NoRoute(Exception):
    """No server could take a message for the conversation (no Redis, no local socket)."""


class LocalFirstRedisManager(AsyncRedisManager):
    """python-socketio's Redis manager, except that a room with a socket in this process is
    emitted to directly: replies to the citizen's own messages never depend on Redis (they keep
    flowing through a Redis outage); only emits from elsewhere (an agent's reply arriving at
    another replica) travel through Redis to the replica that holds the socket."""

    async def emit(self, event, data, namespace=None, room=None, **kwargs):
        if room is not None and self.rooms.get(namespace or "/", {}).get(room):
            kwargs["ignore_queue"] = True
        return await super().emit(event, data, namespace=namespace, room=room, **kwargs)

    async def _handle_emit(self, message):
        # A message from the agent relay (not from a server: no replay number yet) goes through
        # this process's server, as its own replies do, so it is numbered for replay too.
        data = message.get("data")
        if (message.get("callback") is None and message.get("room") is not None
                and isinstance(data, dict) and "seq" not in data):
            await self.server.emit(message["event"], data,
                                   namespace=message.get("namespace"), room=message["room"],
                                   skip_sid=message.get("skip_sid"), ignore_queue=True)
        else:
            await super()._handle_emit(message)


def _has_room(sio: AsyncServer, room: str, namespace: str = "/") -> bool:
    return bool(sio.manager.rooms.get(namespace, {}).get(room))


async def emit_to_conversation(settings: SocketIOSettings, conversation: str, data: Dict[str, Any],
                               event: str = "bot_uttered") -> None:
    """An emit to the conversation's room wherever its socket lives (Redis reaches every
    replica); without Redis, or while it is down, this process's own sockets."""
    url = settings.redis_url
    if url:
        channel = settings.prefix + EMIT_CHANNEL
        publisher = _PUBLISHERS.get((url, channel))
        if publisher is None:
            publisher = _PUBLISHERS[(url, channel)] = AsyncRedisManager(url, channel=channel,
                                                                         write_only=True)
        try:
            # The manager's own publish only logs a failure: a ping first tells an outage.
            await publisher.redis.ping()
            await publisher.emit(event, data, namespace="/", room=conversation)
            return
        except Exception as exc:  # Redis away: this process may still hold the socket
            logger.warning("socket.io emit through Redis failed (%s)", type(exc).__name__)
    local = [sio for sio in _LOCAL_SERVERS if _has_room(sio, conversation)]
    if not local:
        raise NoRoute(conversation)
    for sio in local:
        await sio.emit(event, data, room=conversation, ignore_queue=True)


class SessionTokens:
    """`<id>.<HMAC of id>`: only this server (or a replica sharing the secret) can make one."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _mac(self, session: str) -> str:
        return hmac.new(self._secret, b"web-session:" + session.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        session = secrets.token_hex(16)
        return f"{session}.{self._mac(session)}"

    def session_of(self, token: Any) -> Optional[str]:
        """The session a token stands for, or None when this server did not issue it."""
        if not isinstance(token, str) or len(token) != 65 or bad_text(token):
            return None
        session, _, mac = token.partition(".")
        if hmac.compare_digest(self._mac(session).encode(), mac.encode()):
            return session
        return None


class BoundedSocketBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint, with Sanic told the body limit before it reads a body."""

    def __init__(self, sio: AsyncServer, socketio_path: Text, max_bytes: int, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(sio, socketio_path, *args, **kwargs)
        self.ctx.max_bytes = max_bytes

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        super().register(app, options)
        prefix = "/" + self.ctx.socketio_path.strip("/") + "/"
        max_bytes = self.ctx.max_bytes

        @app.signal("http.routing.after")
        async def bound_socketio_bodies(request: Request, **_: Any) -> None:
            if (request.path.rstrip("/") + "/").startswith(prefix):
                limit_body(request, max_bytes)

        add_chat_page(app, self.ctx.max_message, self.ctx.frame_ancestors)


# Rasa's own socketio settings in credentials.yml; every other key is one of SocketIOSettings'.
RASA_KEYS = ("user_message_evt", "bot_message_evt", "namespace", "session_persistence",
             "socketio_path", "jwt_key", "jwt_method", "metadata_key")


class WebSocketIOInput(SocketIOInput):
    """Referenced from bot/credentials.yml instead of `socketio:`; same name, path and events."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        env = with_credentials(environment(), "SOCKETIO_", credentials, known=RASA_KEYS)
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            True,  # sessions are always kept (and always issued by the server)
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
            env=env,
        )

    def __init__(self, *args: Any, env: Optional[Dict[str, str]] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        env = environment(env)
        self.settings = SocketIOSettings.from_env(env)
        self.notice = ConsoleNoticeSettings.from_env(env)
        self.tokens = SessionTokens(self.settings.session_secret)
        self.max_message = self.settings.max_message
        self.max_payload = self.settings.max_payload
        self.prefix = self.settings.prefix
        self.state = LazyState(self.settings.redis_url or None)

    # ---- reading a user_uttered event

    def read(self, data: Any) -> tuple[str, dict]:
        """(message, metadata) from a user_uttered payload; InvalidInput when it is unusable."""
        if not isinstance(data, dict):
            raise InvalidInput("event", "not an object")
        message = data.get("message", "")
        if not isinstance(message, str):
            raise InvalidInput("message", "not a string")
        metadata = data.get(self.metadata_key) or {}
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except (ValueError, RecursionError):
                raise InvalidInput("metadata", "not JSON") from None
        if not isinstance(metadata, dict):
            raise InvalidInput("metadata", "not an object")
        check_strings(message, "message")
        check_strings(metadata, "metadata")
        if metadata.get("language") not in (None, "zh", "en"):
            metadata = {k: v for k, v in metadata.items() if k != "language"}
        return message, metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        redis_url = self.settings.redis_url
        manager = (LocalFirstRedisManager(redis_url, channel=self.prefix + EMIT_CHANNEL)
                   if redis_url else None)
        sio = ReplayingServer(async_mode="sanic", cors_allowed_origins=[],
                              max_http_buffer_size=self.max_payload, client_manager=manager,
                              bot_message_evt=self.bot_message_evt, room_prefix=conversation_id("web", ""))
        _LOCAL_SERVERS.append(sio)
        bp = BoundedSocketBlueprint(sio, self.socketio_path, self.max_payload, "socketio_webhook",
                                    __name__)
        bp.ctx.max_message = self.max_message
        bp.ctx.frame_ancestors = self.settings.frame_ancestors
        self.sio = sio  # Rasa's get_output_channel() uses it

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def say(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=self.namespace)

        async def bind(sid: str, token: str, session: str) -> str:
            """Put the socket in the session's conversation (and out of any earlier one)."""
            conversation = conversation_id("web", session)
            state = await sio.get_session(sid, namespace=self.namespace)
            if state.get("conversation") not in (None, conversation):
                sio.leave_room(sid, state["conversation"], namespace=self.namespace)
            state["conversation"] = conversation
            await sio.save_session(sid, state, namespace=self.namespace)
            sio.enter_room(sid, conversation, namespace=self.namespace)
            await sio.emit("session_confirm", token, room=sid, namespace=self.namespace)
            return conversation

        async def new_session(sid: str) -> str:
            token = self.tokens.issue()
            return await bind(sid, token, token.partition(".")[0])

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if self.jwt_key and not (isinstance(auth, dict) and auth.get("token") and decode_bearer_token(
                    auth["token"], self.jwt_key, self.jwt_algorithm)):
                return False
            request = environ.get("sanic.request")
            address = (request.remote_addr or request.ip) if request is not None else ""
            await sio.save_session(sid, {"address": address or environ.get("REMOTE_ADDR") or "unknown"},
                                   namespace=self.namespace)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text) -> None:
            state = await sio.get_session(sid, namespace=self.namespace)
            if state.get("conversation"):  # the desk marks it if an agent is on it
                handoff_notice.citizen_left(self.notice, state["conversation"])

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Any) -> None:
            token = data.get("session_id") if isinstance(data, dict) else None
            session = self.tokens.session_of(token)
            if session is None:
                await new_session(sid)  # absent, or not one this server issued
            else:
                conversation = await bind(sid, token, session)
                await sio.replay(sid, conversation, data.get("last_seen"), self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            state = await sio.get_session(sid, namespace=self.namespace)
            conversation = state.get("conversation") or await new_session(sid)
            try:
                message, metadata = self.read(data)
            except InvalidInput as exc:
                logger.info("socket.io message refused: %s", exc.field)
                await say(sid, replies.UNREADABLE)
                return
            if not message.strip():
                return
            if len(message) > self.max_message:
                await say(sid, replies.too_long(self.max_message))
                return
            try:
                wait = await self.state().take([
                    (self.prefix + "s:" + hashed(conversation), self.settings.session_limits),
                    (self.prefix + "a:" + hashed(state.get("address") or "unknown"),
                     self.settings.address_limits)])
            except StateUnavailable as exc:  # the one outage policy (bot/channels/state.py)
                logger.error("socket.io state unavailable (%s): answered with the hotline", exc)
                await say(sid, replies.UNAVAILABLE)
                return
            if wait > 0:
                await say(sid, replies.too_many(wait))
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            try:
                await on_new_message(UserMessage(message, output, conversation,
                                                 input_channel=self.name(), metadata=metadata))
            except Exception as exc:  # e.g. the tracker store's database is down
                logger.error("socket.io message could not be processed (%s)", type(exc).__name__)
                await say(sid, replies.UNAVAILABLE)

        return bp
