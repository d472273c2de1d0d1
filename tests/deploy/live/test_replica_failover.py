"""Three Rasa replicas and two action servers behind HAProxy (round robin, no stickiness), sharing
the real PostgreSQL tracker store and Redis lock store; 30 concurrent conversations; one replica
is SIGKILLed mid-run and restarted. The short form of bench/failover_bench.py.

Runs in the Rasa environment after training (make test-topology):
    PYTHONPATH=. .venv/rasa/bin/python -m pytest -c pytest-rasa.ini tests/deploy/live/test_replica_failover.py
"""
from __future__ import annotations

import asyncio
import re
from collections import defaultdict

import pytest

from bench.failover import CLIENT_KEEPALIVE_S, conversation_id, in_flight_on_victim, run_failover
from bench.topology import HAPROXY_DIR, Topology

CONVERSATIONS = 30
TURNS = 3  # then a thank-you once the killed replica is back: 4 messages per conversation


@pytest.fixture(scope="module")
def outcome():
    topo = Topology(replicas=3, action_servers=2)
    topo.start()
    try:
        run = asyncio.run(run_failover(topo, CONVERSATIONS, TURNS))
        yield topo, run, topo.stored_user_messages(), topo.lb_log()
    finally:
        topo.stop()


def test_every_message_is_answered_in_the_end(outcome):
    _, run, _, _ = outcome
    answered = {a.message_id for a in run.attempts if a.status == 200}
    sent = {f"{s}-m{t}" for s, script in run.scripts.items() for t in range(len(script))}
    assert sent == answered, f"never answered: {sorted(sent - answered)[:10]}"
    assert run.killed_at > 0 and run.restarted_at > run.killed_at


def stored_user_texts(stored, sender: str) -> list[str]:
    return [kind[len("user:"):] for _, kind in stored.get(conversation_id(sender), [])
            if kind.startswith("user:")]


def test_no_user_message_lost_reordered_or_stored_twice(outcome):
    """Also the messages in flight on the killed replica: a retry whose message is already in the
    conversation is answered from there, not processed again."""
    _, run, stored, _ = outcome
    for sender, script in run.scripts.items():
        users = stored_user_texts(stored, sender)
        assert users == script, f"{sender}: stored {users}, sent {script}"
        # every message was answered before the next one was taken: a bot turn between users
        kinds = [kind for _, kind in stored[conversation_id(sender)]]
        user_at = [i for i, kind in enumerate(kinds) if kind.startswith("user:")]
        for a, b in zip(user_at, user_at[1:]):
            assert "bot" in kinds[a:b], f"{sender}: {kinds[b]} stored before {kinds[a]} was answered"


def test_only_requests_in_flight_on_the_killed_replica_failed(outcome):
    _, run, _, lb_log = outcome
    victims = in_flight_on_victim(run, lb_log)
    assert victims, "the kill hit no request in flight: the test proved nothing"
    failed = [a for a in run.attempts if a.status != 200]
    assert failed, "no client request failed although requests were in flight on the killed replica"
    assert {a.message_id for a in failed} <= victims, \
        [(a.message_id, a.attempt, a.status, a.error, f"sent {a.started - run.killed_at:+.2f} s "
          f"after the kill, {a.started - run.restarted_at:+.2f} s after the restart")
         for a in failed if a.message_id not in victims]
    # An answer the citizen sees is the polite bilingual reply, never a bare error. (A request
    # whose replica died mid-answer may also just lose its connection: status 0.)
    assert all(a.polite for a in failed if a.status), \
        [(a.message_id, a.status) for a in failed if a.status and not a.polite]


def test_retries_of_killed_requests_succeed_exactly_once(outcome):
    """Retried with the same message_id, a request that died with its replica gets one 200, and
    the answers of the other replicas meanwhile are retryable (polite 502/504), never a 4xx."""
    _, run, _, lb_log = outcome
    by_message = defaultdict(list)
    for a in run.attempts:
        by_message[a.message_id].append(a)
    for message_id in in_flight_on_victim(run, lb_log):
        statuses = [a.status for a in sorted(by_message[message_id], key=lambda a: a.attempt)]
        assert statuses[-1] == 200 and statuses.count(200) == 1, (message_id, statuses)
        assert all(s == 0 or s >= 500 for s in statuses[:-1]), (message_id, statuses)


def test_the_restarted_replica_serves_again(outcome):
    _, run, _, lb_log = outcome
    finals = [e for e in lb_log if e["replica"] == run.killed and e["status"] == 200
              and e["attempt"].rsplit(".", 1)[0].endswith(f"-m{TURNS}")]
    assert finals, "no message reached the restarted replica"


def test_the_citizens_drop_idle_connections_before_the_balancer_does():
    """Otherwise a message sent on a connection the balancer closes at that moment fails on a live
    replica (status 0), which the failover checks would blame on the kill."""
    config = (HAPROXY_DIR / "haproxy.cfg").read_text()
    balancer_s = int(re.search(r"^\s*timeout http-keep-alive (\d+)s$", config, re.M).group(1))
    assert CLIENT_KEEPALIVE_S < balancer_s
