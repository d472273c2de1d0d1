"""bot.lock_store.RedisTicketLockStore on the real Redis: one message of a conversation at a time,
in the order they came, across workers; expired tickets neither block nor get served."""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import redis
from rasa.core.lock_store import LockError

from bot.lock_store import RedisTicketLockStore
from bot.stores import CityLockStore

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def prefix():
    name = f"locktest{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


def store(prefix: str) -> RedisTicketLockStore:
    return RedisTicketLockStore(REDIS, prefix)


def left_in_redis(prefix: str) -> list[bytes]:
    return list(redis.Redis.from_url(REDIS).scan_iter(f"{prefix}:*"))


def test_the_factory_builds_it_from_the_settings(monkeypatch, prefix):
    monkeypatch.setenv("REDIS_URL", REDIS)
    built = CityLockStore()
    assert isinstance(built, RedisTicketLockStore) and built.key_prefix == "shps:lock:"


def test_messages_of_one_conversation_run_one_at_a_time_in_order_across_workers(prefix):
    """Two workers (two stores, two connection pools) take turns on one conversation; each
    message enters in the order its ticket was issued, and none overlaps another."""
    workers = [store(prefix), store(prefix)]
    entered, running, issued = [], [], []
    for worker in workers:
        async def recording(conversation_id, op, token, lifetime=0, step=worker._step):
            result = await step(conversation_id, op, token, lifetime)
            if op == "issue":
                issued.append(token)
            return result
        worker._step = recording

    async def message(number: int):
        async with workers[number % 2].lock("web:citizen"):
            running.append(number)
            assert len(running) == 1, f"messages {running} ran at once"
            entered.append(number)
            await asyncio.sleep(0.01)
            running.remove(number)

    async def main():
        tasks = []
        for number in range(12):
            tasks.append(asyncio.create_task(message(number)))
            # The next message comes once this one holds its ticket: issued in this order
            # however loaded the machine (a fixed pause let a slow round trip swap two).
            while len(issued) <= number:
                await asyncio.sleep(0.001)
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert entered == list(range(12))
    assert left_in_redis(prefix) == []  # the queue is gone once nobody holds or waits


def test_other_conversations_do_not_wait(prefix):
    lock_store = store(prefix)

    async def main():
        async with lock_store.lock("web:a"):
            async with lock_store.lock("web:b"):  # would wait forever if it shared a queue
                return True

    assert asyncio.run(asyncio.wait_for(main(), 5))


def test_a_ticket_of_a_worker_that_died_expires(prefix):
    lock_store = store(prefix)

    async def main():
        await lock_store._step("web:c", "issue", "dead-worker", 0.3)  # never finished
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with lock_store.lock("web:c"):
            return loop.time() - started

    waited = asyncio.run(main())
    assert 0.2 < waited < 2


def test_a_waiter_whose_ticket_expires_gets_lock_error(prefix):
    lock_store = store(prefix)

    async def main():
        await lock_store._step("web:d", "issue", "slow-holder", 5)
        async with lock_store.lock("web:d", lock_lifetime=0.2):
            pass

    with pytest.raises(LockError):
        asyncio.run(main())


def test_key_names_hold_no_conversation_id(prefix):
    lock_store = store(prefix)

    async def main():
        async with lock_store.lock("wechat:oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"):
            return left_in_redis(prefix)

    keys = asyncio.run(main())
    assert len(keys) == 1 and b"oUpF8u" not in keys[0]
