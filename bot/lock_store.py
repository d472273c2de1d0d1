"""The conversation lock that Rasa's workers and replicas share: a ticket queue in Redis, each
step one atomic script.

Rasa's RedisLockStore keeps a conversation's ticket queue as one JSON value that every step reads,
changes and writes back, with blocking calls on the event loop: seven round trips per message.
Two workers issuing tickets for one conversation at once can both read the same queue, and the
ticket written first is lost, so two messages of the conversation run at once. Here a step is one
Lua script, atomic in Redis, over the asyncio client: issuing a ticket also tells whether it is
served at once (the usual case), and finishing removes it: two round trips per message. Key
names hold a hash of the conversation id, not the id (as the channels' keys, bot/channels/state.py).

The semantics are Rasa's: tickets are served in the order issued; a ticket expires after its
lifetime, so a worker that died holding one cannot block the conversation for longer; a waiter
whose ticket expired gets LockError. A waiter checks again every POLL_SECONDS (Rasa: every second,
which a citizen sending two messages in a row would feel).
"""
from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from typing import AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

from bot.channels.state import hashed

POLL_SECONDS = 0.05

# KEYS[1]: the conversation's queue, a list of "token:expiry in ms" in the order issued.
# ARGV[1]: issue | check | finish; ARGV[2]: the ticket's token; ARGV[3]: its lifetime in ms (issue).
# Drops expired tickets (and, for finish, the caller's), then returns the token served now (or
# false) and whether the caller's ticket is still queued.
_TICKETS_LUA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local op, token = ARGV[1], ARGV[2]
local queued, changed, mine = {}, false, false
for _, ticket in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local owner, expiry = string.match(ticket, '^(.+):(%d+)$')
  if tonumber(expiry) <= now or (op == 'finish' and owner == token) then
    changed = true
  else
    table.insert(queued, ticket)
    if owner == token then mine = true end
  end
end
if op == 'issue' then
  table.insert(queued, token .. ':' .. (now + tonumber(ARGV[3])))
  changed, mine = true, true
end
if changed then
  redis.call('DEL', KEYS[1])
  if #queued > 0 then
    redis.call('RPUSH', KEYS[1], unpack(queued))
    local last = 0
    for _, ticket in ipairs(queued) do
      last = math.max(last, tonumber(string.match(ticket, ':(%d+)$')))
    end
    redis.call('PEXPIREAT', KEYS[1], last)
  end
end
if #queued == 0 then return {false, 0} end
return {string.match(queued[1], '^(.+):%d+$'), mine and 1 or 0}
"""


class RedisTicketLockStore(LockStore):
    """Rasa's lock store interface (`lock()`, the only part Rasa and this project call) on Redis."""

    def __init__(self, url: str, key_prefix: str, timeouts: tuple[float, float] = (5.0, 5.0)):
        """`timeouts`: (connect, read) seconds, as the channels' state store (bot/channels/state.py)."""
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError

        # A pooled connection Redis closed (a restart) fails once, then a new one is made: every
        # step may run twice (finishing removes each copy of a ticket).
        self.redis = aioredis.Redis.from_url(url, decode_responses=True,
                                             socket_connect_timeout=timeouts[0],
                                             socket_timeout=timeouts[1],
                                             retry=Retry(NoBackoff(), 1),
                                             retry_on_error=[ConnectionError])
        self.key_prefix = f"{key_prefix}:lock:"
        self._tickets = self.redis.register_script(_TICKETS_LUA)

    async def _step(self, conversation_id: Text, op: str, token: str,
                    lifetime: float = 0) -> tuple[Optional[str], bool]:
        served, mine = await self._tickets(keys=[self.key_prefix + hashed(conversation_id)],
                                           args=[op, token, int(lifetime * 1000)])
        return served or None, bool(mine)

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncGenerator[TicketLock, None]:
        token = uuid.uuid4().hex
        served, _ = await self._step(conversation_id, "issue", token, lock_lifetime)
        try:
            while served != token:
                await asyncio.sleep(wait_time_in_seconds)
                served, mine = await self._step(conversation_id, "check", token)
                if not mine:
                    raise LockError(f"Could not acquire lock for conversation_id "
                                    f"'{conversation_id}'.")
            yield TicketLock(conversation_id)
        finally:
            await self._step(conversation_id, "finish", token)

    # Rasa's per-step methods: nothing calls them with this store (its steps are the scripts).
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        raise NotImplementedError("RedisTicketLockStore keeps its queue in Redis; use lock()")

    def delete_lock(self, conversation_id: Text) -> None:
        raise NotImplementedError("RedisTicketLockStore keeps its queue in Redis; use lock()")

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError("RedisTicketLockStore keeps its queue in Redis; use lock()")
