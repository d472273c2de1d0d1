"""The short form of the web chat load run (bench/webchat_load.py; the full run and its figures:
`make bench-webchat`, docs/webchat-load.md): 50 concurrent sessions, each from its own loopback
address, speaking socket.io as the page does. Against the real assistant nothing may be lost,
duplicated or delivered to another session (checked against Rasa's tracker); against the channel
harness, whose echo names the conversation, every reply must name its own session's."""
from __future__ import annotations

import asyncio

from bench.webchat_load import QUESTIONS, Session, run, run_session
from tests.bot.conftest import TOKEN
from tests.bot.integrator_support import redis_client  # noqa: F401
from tests.bot.test_channel_security import callbacks, harness  # noqa: F401

SESSIONS = 50


def test_50_sessions_on_the_real_assistant_lose_and_duplicate_nothing(backend):
    outcome, runs = asyncio.run(run(backend["rasa"], TOKEN, SESSIONS, turns=2))
    assert [s.error for s in runs if s.error] == []
    assert outcome.ok and outcome.unanswered == 0, outcome.summary()
    assert outcome.messages == 2 * SESSIONS and outcome.replies >= 2 * SESSIONS
    assert len({s.token for s in runs}) == SESSIONS  # a session each


def test_50_sessions_each_get_their_own_replies(harness):
    runs = [Session(i) for i in range(SESSIONS)]

    async def all_sessions() -> None:
        await asyncio.gather(*(run_session(harness["base"], s, 2, 0.3, 30) for s in runs))
    asyncio.run(all_sessions())
    for s in runs:
        assert not s.error, s.error
        expected = [f"echo {s.conversation} {QUESTIONS[(s.index + t) % len(QUESTIONS)]}" for t in range(2)]
        assert [m["text"] for m in s.got] == expected
        assert [m["seq"] for m in s.got] == [1, 2]
