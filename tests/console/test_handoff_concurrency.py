"""Two agents can never hold the same conversation: the database decides, under real concurrency
(threads with their own connections), on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from console.handoff import queue
from console.models import Handoff, User

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)


def _agents(sessions, n: int) -> list[int]:
    with sessions() as s, s.begin():
        users = [User(username=f"agent{i}", password_hash="x", role="agent", failed_logins=0,
                      created_at=NOW) for i in range(n)]
        s.add_all(users)
        s.flush()
        return [u.id for u in users]


def _accept_all(sessions, agent_id: int, start: threading.Barrier, won: list) -> None:
    """An agent taking whatever is first in the queue until nothing is left."""
    start.wait()
    while True:
        with sessions() as s:
            agent = s.get(User, agent_id)
            waiting = queue.waiting(s)
            if not waiting:
                return
            try:
                handoff = queue.accept(s, waiting[0].id, agent, NOW)
                s.commit()
                won.append((handoff.id, agent_id))
            except queue.HandoffError:
                s.rollback()  # another agent was first: take the next one


def test_twenty_handoffs_shared_by_three_agents_are_each_held_once(sessions):
    agent_ids = _agents(sessions, 3)
    with sessions() as s, s.begin():
        for i in range(20):
            queue.enqueue(s, f"web:load-{i}", "socketio", "zh", "asked", NOW + timedelta(seconds=i))
    start, won = threading.Barrier(3), []
    threads = [threading.Thread(target=_accept_all, args=(sessions, a, start, won)) for a in agent_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(h for h, _ in won) == sorted(set(h for h, _ in won)) and len(won) == 20
    with sessions() as s:
        rows = s.execute(select(Handoff.id, Handoff.agent_id, Handoff.status)).all()
    assert {status for _, _, status in rows} == {"active"}
    assert dict((h, a) for h, a in won) == {h: a for h, a, _ in rows}


def test_agents_clicking_accept_at_once_get_one_winner(sessions):
    agent_ids = _agents(sessions, 3)
    for round_ in range(10):
        with sessions() as s, s.begin():
            handoff_id = queue.enqueue(s, f"web:race-{round_}", "socketio", "en", "asked",
                                       NOW).handoff.id
        start, results = threading.Barrier(3), []

        def click(agent_id: int) -> None:
            with sessions() as s:
                agent = s.get(User, agent_id)
                start.wait()
                try:
                    queue.accept(s, handoff_id, agent, NOW)
                    s.commit()
                    results.append(agent_id)
                except queue.HandoffError as exc:
                    s.rollback()
                    results.append(exc.key)
        threads = [threading.Thread(target=click, args=(a,)) for a in agent_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        winners = [r for r in results if isinstance(r, int)]
        assert len(winners) == 1 and results.count("handoff_taken") == 2
        with sessions() as s:
            assert s.get(Handoff, handoff_id).agent_id == winners[0]


def test_one_open_handoff_per_conversation_even_when_queued_concurrently(sessions):
    start, ids = threading.Barrier(4), []

    def ask() -> None:
        with sessions() as s:
            start.wait()
            queued = queue.enqueue(s, "web:twice", "socketio", "zh", "asked", NOW)
            s.commit()
            ids.append(queued.handoff.id)
    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(ids) == 4 and len(set(ids)) == 1
