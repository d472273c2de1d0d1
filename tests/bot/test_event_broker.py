"""bot.event_broker.PatientPikaEventBroker: what it publishes and what it does when a publish
fails (RabbitMQ end to end: tests/console/test_event_broker.py)."""
from __future__ import annotations

import asyncio
import json
import logging

import aio_pika

from bot.event_broker import PatientPikaEventBroker

EVENT = {"event": "user", "text": "我的手机号是13912345678", "timestamp": 1.5,
         "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}}


def broker(loop) -> PatientPikaEventBroker:
    return PatientPikaEventBroker("localhost", username="guest", password="guest", queues=["q"],
                                  should_keep_unpublished_messages=True, raise_on_failure=False,
                                  event_loop=loop)


def test_the_message_is_rasa_s_persistent_json_of_the_event():
    async def message():
        return broker(asyncio.get_running_loop())._message(EVENT, {"x": "1"})

    sent = asyncio.run(message())
    assert json.loads(sent.body.decode("utf-8")) == EVENT
    assert sent.delivery_mode == aio_pika.DeliveryMode.PERSISTENT and sent.headers == {"x": "1"}


def test_an_event_that_fails_to_publish_is_kept_and_its_text_stays_out_of_the_log(caplog):
    class GoneExchange:
        async def publish(self, message, routing_key):
            raise ConnectionError("connection reset")

    async def publish():
        kept = broker(asyncio.get_running_loop())
        kept._exchange = GoneExchange()
        await kept._publish(EVENT)
        return kept

    with caplog.at_level(logging.DEBUG):
        kept = asyncio.run(publish())
    assert list(kept._unpublished_events) == [EVENT]
    assert "'user' event" in caplog.text and "ConnectionError" in caplog.text
    assert "13912345678" not in caplog.text
