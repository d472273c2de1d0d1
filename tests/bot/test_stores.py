"""The tracker store on a real PostgreSQL and on the embedded SQLite default: windowed trackers keep every slot, lose no event and
never store one twice; operators still get the full history; personal data is redacted."""
from __future__ import annotations

import os
import uuid

import psycopg2
import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import TrackerEventDiffEngine

from bot import rasa_patches
from bot.stores import CityLockStore, CityTrackerStore, tracker_window

rasa_patches.install()  # as `python -m bot run` does before Rasa builds its stores

PG = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
WINDOW = 5  # user turns


@pytest.fixture(scope="module")
def tracker_db() -> str:
    name = f"tracker_test_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield PG.rsplit("/", 1)[0] + "/" + name
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def store(request, tracker_db, monkeypatch) -> CityTrackerStore:
    if request.param == "postgresql":
        monkeypatch.setenv("TRACKER_STORE_URL", tracker_db)
    else:  # the embedded default, var/tracker.sqlite3 (every test uses its own sender ids)
        monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    monkeypatch.setenv("TRACKER_WINDOW_TURNS", str(WINDOW))
    return CityTrackerStore(domain=Domain.load("bot/domain"))


def turn(tracker, n: int) -> None:
    tracker.update(UserUttered(f"message {n}", {"name": "inform", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_extract_context"))
    tracker.update(SlotSet("question", f"q{n}"))
    tracker.update(BotUttered(f"answer {n}"))
    tracker.update(ActionExecuted("action_listen"))


async def long_conversation(store: CityTrackerStore, turns: int) -> str:
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(SlotSet("language", "en"))  # set once, long before the window
    await store.save(tracker)
    for n in range(turns):
        tracker = await store.retrieve(sender)
        turn(tracker, n)
        await store.save(tracker)
    return sender


def users(tracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


@pytest.mark.asyncio
async def test_long_conversation_is_windowed_with_exact_state(store):
    sender = await long_conversation(store, 40)  # 200+ events
    tracker = await store.retrieve(sender)
    full = await store.retrieve_full_tracker(sender)
    assert users(tracker) == [f"message {n}" for n in range(35, 40)]
    assert tracker.current_slot_values() == full.current_slot_values()
    assert tracker.get_slot("language") == "en"  # set once, long before the window
    assert tracker.latest_message.text == "message 39"
    assert tracker.latest_action_name == "action_listen"


@pytest.mark.asyncio
async def test_form_active_before_the_window_loads_the_whole_session(store):
    sender = await long_conversation(store, 2)
    tracker = await store.retrieve(sender)
    tracker.update(ActiveLoop("book_appointment_form"))
    await store.save(tracker)
    for n in range(2, 12):
        tracker = await store.retrieve(sender)
        turn(tracker, n)
        await store.save(tracker)
    tracker = await store.retrieve(sender)
    assert tracker.active_loop_name == "book_appointment_form"
    assert len(users(tracker)) == 12


@pytest.mark.asyncio
async def test_windowed_saves_lose_nothing_and_duplicate_nothing(store):
    sender = await long_conversation(store, 30)
    tracker = await store.retrieve(sender)
    turn(tracker, 30)
    await store.save(tracker)
    await store.save(tracker)  # Rasa may save the same tracker twice in one turn
    full = await store.retrieve_full_tracker(sender)
    assert users(full) == [f"message {n}" for n in range(31)]


@pytest.mark.asyncio
async def test_full_tracker_for_operators_is_not_windowed(store):
    sender = await long_conversation(store, 20)
    full = await store.retrieve_full_tracker(sender)
    assert users(full) == [f"message {n}" for n in range(20)]


@pytest.mark.asyncio
async def test_phone_and_id_numbers_are_redacted_in_the_database(store):
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(UserUttered("my phone is 13812345678 and ID 310101199001011234"))
    await store.save(tracker)
    stored = await store.retrieve_full_tracker(sender)
    text = stored.latest_message.text
    assert "13812345678" not in text and "310101199001011234" not in text


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


@pytest.mark.asyncio
async def test_the_broker_gets_exactly_rasas_new_events_without_a_second_load(store, monkeypatch):
    """Rasa finds the events to publish by loading the stored conversation again and counting;
    the store publishes the same events from what it loaded, across the window's cut too."""
    store.event_broker = broker = RecordingBroker()
    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    tracker = await store.get_or_create_tracker(sender)
    for n in range(WINDOW + 3):
        turn(tracker, n)
        rasas = TrackerEventDiffEngine.event_difference(await store.retrieve(sender), tracker)
        expected = [dict(e.as_dict(), sender_id=sender) for e in rasas]
        broker.published.clear()
        with monkeypatch.context() as m:
            m.setattr(store, "_retrieve", None)  # saving must not load the conversation again
            await store.save(tracker)
        assert broker.published == expected and len(expected) == 5
        tracker = await store.retrieve(sender)


def test_window_setting_is_validated():
    assert tracker_window({}) == 5
    assert tracker_window({"TRACKER_WINDOW_TURNS": "0"}) is None
    for bad in ("ten", "-1", "3"):
        with pytest.raises(ValueError):
            tracker_window({"TRACKER_WINDOW_TURNS": bad})


def test_several_workers_without_redis_are_refused(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(ValueError, match="REDIS_URL"):
        CityLockStore()


def _start_worker(url: str, barrier, errors) -> None:
    import logging

    class Count(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                errors.append(record.getMessage()[:80])

    logging.getLogger().addHandler(Count())
    os.environ["TRACKER_STORE_URL"] = url
    try:
        domain = Domain.load("bot/domain")
        barrier.wait()
        CityTrackerStore(domain=domain).engine.dispose()
    except BaseException as exc:  # reported to the test, which shows it
        errors.append(f"{type(exc).__name__}: {exc}"[:300])
        raise


def test_workers_starting_together_create_the_tables_once():
    """Sanic's forked workers construct the store at the same moment on a new database."""
    import multiprocessing

    name = f"tracker_race_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    ctx = multiprocessing.get_context("fork")
    try:
        with ctx.Manager() as manager:
            barrier, errors = manager.Barrier(4), manager.list()
            url = PG.rsplit("/", 1)[0] + "/" + name
            procs = [ctx.Process(target=_start_worker, args=(url, barrier, errors)) for _ in range(4)]
            for p in procs:
                p.start()
            for p in procs:
                p.join(60)
            assert list(errors) == []
            assert [p.exitcode for p in procs] == [0] * 4
    finally:
        admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def stored_rows(store: CityTrackerStore, sender: str) -> str:
    with store.session_scope() as session:
        rows = session.query(store.SQLEvent.data).filter(store.SQLEvent.sender_id == sender)
        return "\n".join(data for (data,) in rows)


@pytest.mark.asyncio
async def test_answers_to_name_and_phone_questions_are_withheld_and_the_form_goes_on(store):
    from actions import secrets as pii

    sender = f"citizen-{uuid.uuid4().hex[:8]}"
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(ActiveLoop("appointment_form"))
    tracker.update(SlotSet("requested_slot", "contact_name"))
    tracker.update(BotUttered("请问预约人的姓名是？"))
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("我叫张伟明", {"name": "inform", "confidence": 1.0},
                               [{"entity": "person", "value": "张伟明", "start": 2, "end": 5}]))
    tracker.update(SlotSet("contact_name", "张伟明"))  # Rasa's from_text mapping
    token = pii.encrypt("张伟明")
    tracker.update(SlotSet("contact_name", token))  # the form's validation
    tracker.update(SlotSet("requested_slot", "contact_phone"))
    await store.save(tracker)
    tracker = await store.retrieve(sender)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("手机 幺三八 一二三四 五六七八", {"name": "inform", "confidence": 1.0}))
    tracker.update(SlotSet("contact_phone", pii.encrypt("13812345678")))
    tracker.update(SlotSet("requested_slot", None))
    tracker.update(UserUttered("my e-mail is li.wei@example.com, booking SH2026111200086"))
    await store.save(tracker)

    rows = stored_rows(store, sender)
    for personal in ("张伟明", "\\u5f20\\u4f1f\\u660e", "一二三四", "\\u4e00\\u4e8c\\u4e09\\u56db",
                     "li.wei@"):
        assert personal not in rows
    stored = await store.retrieve_full_tracker(sender)
    assert stored.get_slot("contact_name") == token  # the booking can still decrypt it
    assert pii.decrypt(stored.get_slot("contact_phone")) == "13812345678"
    assert stored.latest_message.text == "my e-mail is l***@example.com, booking SH2026111200086"
