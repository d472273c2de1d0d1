"""appointment_form and cancel_appointment_form against the REAL data service.

The `Conversation` driver below stands in for Rasa's form machinery (test_applications.py uses
it too): per user message it runs action_extract_context, applies the slot mappings of
bot/domain/appointments.yml and applications.yml (from_entity, from_text, from_intent with their
conditions), calls validate_<form> with the candidates (the pre-filled slots at activation), asks
for the next empty required slot the way Rasa does (action_ask_<form>_<slot>,
utter_ask_<form>_<slot>, action_ask_<slot>, utter_ask_<slot>; a response in the conversation's
language), and runs the
submit action when the form is done, following a FollowupAction back into the form. A validation
that extracts nothing is a rejection (a rule would answer), as in Rasa.
"""
from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import (applications, booking_asks, booking_cancel, booking_form, booking_slots,
                     booking_submit)
from actions import secrets as pii
from actions.api.gateway import get_gateway
from actions.context import ActionExtractContext
from privacy.parsing import find_last4
from tests.actions.conftest import ROOT, entity, render_response



def raw():
    """The tests' own requests (setting the scene) go straight through the gateway's transport."""
    return get_gateway().transport

pytestmark = pytest.mark.asyncio

# ==============================================================================================
# Conversation driver
# ==============================================================================================

DOMAIN_FILES = ("appointments.yml", "applications.yml")
FORM_OF_INTENT = {"book_appointment": "appointment_form",
                  "cancel_appointment": "cancel_appointment_form",
                  "check_application_status": "application_status_form"}
SUBMIT = {"appointment_form": "action_book_appointment",
          "cancel_appointment_form": "action_cancel_appointment",
          "application_status_form": "action_check_application_status"}


def _load_domain() -> tuple[dict, dict, dict]:
    forms, slots, responses = {}, {}, {}
    for name in DOMAIN_FILES:
        data = yaml.safe_load((ROOT / "bot" / "domain" / name).read_text(encoding="utf-8"))
        forms.update(data.get("forms") or {})
        slots.update(data.get("slots") or {})
        responses.update(data.get("responses") or {})
    return {"forms": forms}, slots, responses


DOMAIN, SLOTS, RESPONSES = _load_domain()


def _all_actions() -> dict[str, Action]:
    found: dict[str, Action] = {}
    for module in (applications, booking_asks, booking_cancel, booking_form, booking_submit):
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Action)
                    and value.__module__ == module.__name__):
                try:
                    action = value()
                except TypeError:  # abstract base
                    continue
                found[action.name()] = action
    return found


ACTIONS = _all_actions()


def slot(name: str, value: Any) -> dict:
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def required(form: str) -> list[str]:
    return DOMAIN["forms"][form]["required_slots"]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value] if value is not None else []


def _condition_ok(mapping: dict, active_loop: str | None, requested: str | None) -> bool:
    conditions = mapping.get("conditions")
    if not conditions:
        return True
    for condition in conditions:
        loop = condition.get("active_loop")
        if loop and loop == active_loop and condition.get("requested_slot") in (None, requested):
            return True
        if loop is None and active_loop is None:
            return True
    return False


def map_slots(message: dict, active_loop: str | None, requested: str | None) -> dict[str, Any]:
    """Rasa's action_extract_slots for the predefined mappings of this topic's slots."""
    intent = message["intent"]["name"]
    out: dict[str, Any] = {}
    for name, spec in SLOTS.items():
        for mapping in spec.get("mappings", []):
            kind = mapping["type"]
            if kind == "custom" or not _condition_ok(mapping, active_loop, requested):
                continue
            wanted, unwanted = _as_list(mapping.get("intent")), _as_list(mapping.get("not_intent"))
            if (wanted and intent not in wanted) or intent in unwanted:
                continue
            if kind == "from_entity":
                values = [e["value"] for e in message["entities"] if e["entity"] == mapping["entity"]]
                if values:
                    out[name] = values[-1]
                    break
            elif kind == "from_text":
                out[name] = message["text"]
                break
            elif kind == "from_intent":
                out[name] = mapping["value"]
                break
    return out


class Conversation:
    def __init__(self, sender: str = "conversation-test", lang: str = "zh",
                 slots: dict | None = None):
        self.sender = sender
        self.slots: dict[str, Any] = {"language": lang, "requested_slot": None, **(slots or {})}
        self.active: str | None = None
        self.messages: list[dict] = []        # bot messages of the latest turn
        self.all_values: list[Any] = []       # every slot value ever set (privacy checks)
        self._turn: list[dict] = []
        self._message: dict = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _apply(self, events: list[dict]) -> None:
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
                self.all_values.append(event["value"])
        self._turn += events

    def _tracker(self, extra: list[dict] | None = None) -> Tracker:
        return Tracker(self.sender, dict(self.slots), self._message, self._turn + (extra or []),
                       False, None, {"name": self.active} if self.active else {}, "action_listen")

    async def _run(self, name: str, extra: list[dict] | None = None) -> list[dict]:
        dispatcher = CollectingDispatcher()
        events = await ACTIONS[name].run(dispatcher, self._tracker(extra), DOMAIN)
        self.messages += dispatcher.messages
        return events

    @property
    def texts(self) -> list[str]:
        return [m.get("text") or m.get("response") or "" for m in self.messages]

    @property
    def buttons(self) -> list[dict]:
        return [b for m in self.messages for b in (m.get("buttons") or [])]

    # -- one user turn ---------------------------------------------------------------------------
    async def say(self, text: str, intent: str = "inform",
                  entities: list[dict] | None = None) -> str:
        """Returns "rejected" when the form extracted nothing (a rule would answer), else "ok"."""
        self.messages = []
        self._message = {"text": text, "intent": {"name": intent, "confidence": 1.0},
                         "entities": entities or [], "metadata": {}}
        self._turn = [{"event": "user", "text": text, "parse_data": self._message}]
        context = await ActionExtractContext().run(CollectingDispatcher(), self._tracker(), {})
        self._apply(context)
        if self.active:
            requested = self.slots.get("requested_slot")
            mapped = map_slots(self._message, self.active, requested)
            self._apply([slot(k, v) for k, v in mapped.items()])
            candidates = {k: v for k, v in mapped.items() if k in required(self.active)}
            if not await self._validate("answer", candidates):
                return "rejected"
        elif intent in FORM_OF_INTENT:
            await self._activate(FORM_OF_INTENT[intent])
        else:
            return "rejected"
        await self._continue()
        return "ok"

    async def resume(self) -> None:
        """After a rule answered a digression: the form runs again (no new message)."""
        self.messages = []
        self._apply([{"event": "action_execution_rejected", "name": self.active},
                     {"event": "action", "name": "action_answer_service_question"}])
        await self._validate("resume", {})
        await self._continue()

    async def _activate(self, form: str) -> None:
        self.active = form
        self._apply([{"event": "active_loop", "name": form}])
        mapped = map_slots(self._message, form, None)
        self._apply([slot(k, v) for k, v in mapped.items()])
        prefilled = {k: self.slots[k] for k in required(form) if self.slots.get(k) is not None}
        await self._validate("activation", prefilled)

    async def _validate(self, mode: str, candidates: dict) -> bool:
        form = self.active
        extra = [slot("requested_slot", self.slots.get("requested_slot")),
                 {"event": "action", "name": form}] + [slot(k, v) for k, v in candidates.items()]
        saved = dict(self.slots)
        self.slots.update(candidates)
        events = await self._run(f"validate_{form}", extra)
        if mode == "answer" and not candidates and not any(
                e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events):
            self.slots = saved
            return False
        self._apply(events)
        self._validation = events
        return True

    async def _continue(self) -> None:
        while True:
            form = self.active
            asked = [e for e in self._validation
                     if e.get("event") == "slot" and e.get("name") == "requested_slot"]
            missing = next((s for s in required(form) if self.slots.get(s) is None), None)
            done = (asked and asked[-1]["value"] is None) or missing is None
            if not done:
                self._apply([slot("requested_slot", missing)])
                ask = next(name for name in (f"action_ask_{form}_{missing}",
                                             f"utter_ask_{form}_{missing}",
                                             f"action_ask_{missing}", f"utter_ask_{missing}")
                           if name in ACTIONS or name in RESPONSES)
                if ask in RESPONSES:
                    self.messages.append({"text": render_response(ask, self.slots),
                                          "response": ask})
                    return  # listen
                events = await self._run(ask)
                self._apply(events)
                if not any(e.get("event") == "slot" and e.get("name") == "requested_slot"
                           and e.get("value") is None for e in events):
                    return  # listen
            self._apply([slot("requested_slot", None), {"event": "active_loop", "name": None}])
            self.active = None
            events = await self._run(SUBMIT[form])
            self._apply(events)
            follow = [e for e in events if e.get("event") == "followup"]
            if not follow:
                return
            await self._activate(follow[-1]["name"])


# ==============================================================================================
# Helpers
# ==============================================================================================

PHONE = "13817265590"


def button_message(button: dict) -> tuple[str, str, list[dict]]:
    """A clicked button as Rasa's NLU hands it over: text, intent and entities of the payload."""
    payload = button["payload"]
    intent, _, body = payload[1:].partition("{")
    values = json.loads("{" + body) if body else {}
    return payload, intent, [entity(k, str(v)) for k, v in values.items()]


async def click(conv: Conversation, button: dict) -> str:
    return await conv.say(*button_message(button))


def assert_no_clear_phone(conv: Conversation, phone: str = PHONE) -> None:
    held = json.dumps({k: v for k, v in conv.slots.items()}, ensure_ascii=False, default=str)
    assert phone not in held


async def free(center: str, service: str, lang: str = "zh") -> list[dict]:
    data = await raw().get("/v1/slots", params={"center": center, "service": service,
                                                       "lang": lang})
    return data["items"]


async def book_directly(slot_id: int, phone: str = "13900001111", name: str = "测试") -> dict:
    return await raw().post("/v1/appointments", {"slot_id": slot_id, "name": name,
                                                        "phone": phone, "language": "zh"},
                                   idempotency_key=f"test-{uuid.uuid4().hex}")


def confirmed_tracker(info: dict, sender: str, attempt: str = "attempt-1", lang: str = "zh",
                      phone: str = PHONE, name: str = "张伟明") -> Tracker:
    """The tracker action_book_appointment gets after "yes" (the form has just completed)."""
    slots = {"language": lang, "booking_service": info["service"], "booking_district": None,
             "booking_center": info["center"], "booking_slot_id": info["slot_id"],
             "booking_slot_info": info, "contact_name": pii.encrypt(name),
             "contact_phone": pii.encrypt(phone), "contact_phone_last4": phone[-4:],
             "booking_confirmed": True, "booking_attempt": attempt, "requested_slot": None}
    latest = {"text": "yes", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []}
    return Tracker(sender, slots, latest, [{"event": "user", "text": "yes", "parse_data": latest}],
                   False, None, {}, "appointment_form")


def info_of(item: dict, center: str, service: str) -> dict:
    return {"slot_id": str(item["slot_id"]), "date": item["date"], "start": item["start"],
            "end": item["end"], "center": center, "service": service}


async def run_action(name: str, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = await ACTIONS[name].run(dispatcher, tracker, DOMAIN)
    return events, dispatcher.messages


def slot_values(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# ==============================================================================================
# Booking
# ==============================================================================================

async def test_book_end_to_end_zh():
    conv = Conversation(sender=f"zh-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say("我想预约明天去浦东办护照", "book_appointment",
                   [entity("service", "护照"), entity("district", "浦东"), entity("date", "明天")])
    # One passport hall in Pudong: picked and named, then real free slots as buttons.
    assert conv.slots["booking_service"] == "passport"
    assert conv.slots["booking_center"] == "pudong-exit-entry"
    assert any("上海市公安局出入境管理局出入境接待大厅" in t for t in conv.texts)
    assert conv.slots["requested_slot"] == "booking_slot_id"
    assert conv.slots["booking_date"] == (date.fromisoformat(conv.slots["date"])).isoformat()
    buttons = conv.buttons
    assert 1 <= len(buttons) <= 6
    assert all(b["payload"].startswith('/inform{"slot_id": "') for b in buttons)
    listed = {str(s["slot_id"]): s for s in await free("pudong-exit-entry", "passport")}
    _, _, ents = button_message(buttons[0])
    assert ents[0]["value"] in listed  # a REAL free slot

    await click(conv, buttons[0])
    assert conv.slots["booking_slot_id"] == ents[0]["value"]
    assert conv.slots["requested_slot"] == "contact_name"
    assert "姓名" in conv.texts[-1]

    await conv.say("我叫张伟明")
    assert pii.decrypt(conv.slots["contact_name"]) == "张伟明" != conv.slots["contact_name"]
    assert conv.slots["requested_slot"] == "contact_phone"

    await conv.say("138 1726 5590")
    assert conv.slots["contact_phone_last4"] == "5590"
    assert pii.decrypt(conv.slots["contact_phone"]) == PHONE
    assert_no_clear_phone(conv)
    summary = conv.texts[-1]
    for part in ("普通护照", "上海市公安局出入境管理局出入境接待大厅", "民生路1500号", "张**",
                 "尾号 5590", listed[ents[0]["value"]]["start"]):
        assert part in summary, part
    assert [b["payload"] for b in conv.buttons] == ["/affirm", "/deny"]

    await conv.say("确认", "affirm")
    done = conv.texts[-1]
    assert done.startswith("预约成功！预约号：AP")
    assert "请携带：" in done and "- 居民身份证" in done and "尾号 5590" in done
    number = done.split("预约号：")[1].split("\n")[0]
    view = await raw().post("/v1/appointments/lookup",
                                   {"booking_no": number, "phone_last4": "5590"})
    assert view["status"] == "booked" and str(view["slot"]["slot_id"]) == ents[0]["value"]
    # The form's slots are cleared, the phone was never held in the clear.
    assert conv.slots["booking_slot_id"] is None and conv.slots["contact_phone"] is None
    assert_no_clear_phone(conv)


async def test_book_end_to_end_en_with_a_choice_of_centres():
    conv = Conversation(sender=f"en-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("I need an appointment for my social security card", "book_appointment",
                   [entity("service", "social security card")])
    assert conv.slots["booking_service"] == "social_security_card"
    assert conv.slots["requested_slot"] == "booking_district"
    assert "Which district" in conv.texts[-1]

    await conv.say("Pudong", "inform", [entity("district", "Pudong")])
    assert conv.slots["booking_district"] == "pudong"
    assert conv.slots["requested_slot"] == "booking_center"
    ids = [button_message(b)[2][0]["value"] for b in conv.buttons]
    assert "pudong-lujiazui" in ids and len(ids) > 1
    assert "places in Pudong New Area handle Social Security Card" in conv.texts[-1]

    # A typed choice works too: the number in the list.
    position = ids.index("pudong-lujiazui") + 1
    await conv.say(str(position))
    assert conv.slots["booking_center"] == "pudong-lujiazui"
    assert conv.slots["requested_slot"] == "booking_slot_id"
    assert conv.texts[-1].startswith("Free times for Social Security Card at ")

    await click(conv, conv.buttons[-1])
    await conv.say("my name is Li Wei")
    assert pii.decrypt(conv.slots["contact_name"]) == "Li Wei" != conv.slots["contact_name"]
    await conv.say("+86 139-2233-4455")
    assert "Shall I book it?" in conv.texts[-1] and "mobile ending 4455" in conv.texts[-1]
    await conv.say("yes", "affirm")
    done = conv.texts[-1]
    assert done.startswith("You're booked! Booking number: AP")
    assert "Please bring:" in done and "ending 4455" in done
    assert_no_clear_phone(conv, "13922334455")


async def test_typed_day_and_time_pick_the_matching_free_slot():
    items = await free("pudong-exit-entry", "passport")
    target = items[len(items) // 2]
    conv = Conversation(sender=f"typed-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("book a passport appointment in Pudong", "book_appointment",
                   [entity("service", "passport"), entity("district", "Pudong")])
    assert conv.slots["requested_slot"] == "booking_slot_id"
    await conv.say(f"{target['date']} at {target['start']}", "inform",
                   [entity("date", target["date"])])
    assert conv.slots["booking_slot_id"] == str(target["slot_id"])
    assert conv.slots["requested_slot"] == "contact_name"


async def test_a_named_day_offers_that_days_slots():
    items = await free("pudong-exit-entry", "passport")
    day = items[-1]["date"]
    conv = Conversation(sender=f"day-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say("预约浦东办护照", "book_appointment",
                   [entity("service", "护照"), entity("district", "浦东")])
    await conv.say(day, "inform", [entity("date", day)])
    assert conv.slots["booking_slot_id"] is None and conv.slots["booking_date"] == day
    days = {json.loads(b["payload"][len("/inform"):])["slot_id"] for b in conv.buttons}
    by_id = {str(s["slot_id"]): s["date"] for s in items}
    assert days and {by_id[i] for i in days} == {day}


@pytest.mark.parametrize("lang,opening,with_entity", [
    ("zh", "{zh}帮我预约浦东办护照", True),
    ("en", "can I book a passport appointment in Pudong on {en}", False),  # the CRF missed it
])
async def test_a_day_in_the_opening_message_offers_that_days_slots(lang, opening, with_entity):
    items = await free("pudong-exit-entry", "passport")
    day = items[-1]["date"]
    d = date.fromisoformat(day)
    text = opening.format(zh=f"{d.month}月{d.day}日", en=f"{d:%B} {d.day}")
    entities = [entity("service", "护照" if lang == "zh" else "passport"),
                entity("district", "浦东" if lang == "zh" else "Pudong")]
    if with_entity:
        entities.append(entity("date", f"{d.month}月{d.day}日"))
    conv = Conversation(sender=f"open-{uuid.uuid4().hex[:8]}", lang=lang)
    await conv.say(text, "book_appointment", entities)
    assert conv.slots["requested_slot"] == "booking_slot_id"
    assert conv.slots["booking_date"] == day
    days = {json.loads(b["payload"][len("/inform"):])["slot_id"] for b in conv.buttons}
    by_id = {str(s["slot_id"]): s["date"] for s in items}
    assert days and {by_id[i] for i in days} == {day}


async def test_idempotent_retry_of_the_confirmation_gives_the_same_booking():
    items = await free("xuhui-exit-entry", "passport")
    item = items[0]
    info = info_of(item, "xuhui-exit-entry", "passport")
    tracker = confirmed_tracker(info, sender="retry-user")
    events1, messages1 = await run_action("action_book_appointment", tracker)
    events2, messages2 = await run_action("action_book_appointment", tracker)
    first, second = messages1[0]["text"], messages2[0]["text"]
    assert first.startswith("预约成功") and first == second  # same booking number, same answer
    after = {s["slot_id"]: s["remaining"] for s in await free("xuhui-exit-entry", "passport")}
    assert after.get(item["slot_id"], 0) == item["remaining"] - 1  # one place taken, not two
    assert slot_values(events1)["booking_confirmed"] is None  # form slots cleared


async def test_a_new_attempt_after_cancelling_books_again():
    item = (await free("xuhui-exit-entry", "passport"))[1]
    info = info_of(item, "xuhui-exit-entry", "passport")
    _, messages = await run_action("action_book_appointment",
                                   confirmed_tracker(info, "again-user", attempt="a1"))
    number = messages[0]["text"].split("预约号：")[1].split("\n")[0]
    await raw().post("/v1/appointments/cancel", {"booking_no": number, "phone_last4": "5590"})
    _, messages = await run_action("action_book_appointment",
                                   confirmed_tracker(info, "again-user", attempt="a2"))
    assert number not in messages[0]["text"] and messages[0]["text"].startswith("预约成功")


async def test_slot_full_says_so_and_offers_other_slots():
    items = await free("jingan-marriage", "marriage_registration")
    item = items[-1]
    conv = Conversation(sender=f"full-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("book marriage registration in Jing'an", "book_appointment",
                   [entity("service", "marriage registration"), entity("district", "Jing'an")])
    assert conv.slots["booking_center"] == "jingan-marriage"
    await conv.say(f"/inform{{\"slot_id\": \"{item['slot_id']}\"}}", "inform",
                   [entity("slot_id", str(item["slot_id"]))])
    await conv.say("Wang Fang")
    await conv.say("13611112222")
    # Meanwhile other citizens take every place of that slot.
    for _ in range(item["remaining"]):
        await book_directly(item["slot_id"])
    await conv.say("yes", "affirm")
    assert any("just been fully booked" in t for t in conv.texts)
    # Back in the form, asking for another time; the full slot is not offered.
    assert conv.active == "appointment_form" and conv.slots["requested_slot"] == "booking_slot_id"
    offered = [button_message(b)[2][0]["value"] for b in conv.buttons]
    assert offered and str(item["slot_id"]) not in offered
    # Nothing else is asked again.
    assert pii.decrypt(conv.slots["contact_name"]) == "Wang Fang" != conv.slots["contact_name"]
    await click(conv, conv.buttons[0])
    assert conv.slots["requested_slot"] == "booking_confirmed"
    await conv.say("yes", "affirm")
    assert conv.texts[-1].startswith("You're booked!")


async def test_a_new_district_resets_the_centre_and_slot():
    conv = Conversation(sender=f"fix-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("book social security card in Pudong", "book_appointment",
                   [entity("service", "social security card"), entity("district", "Pudong")])
    await click(conv, conv.buttons[0])  # a Pudong centre
    assert conv.slots["booking_center"].startswith("pudong-")
    await click(conv, conv.buttons[0])  # a slot there
    assert conv.slots["booking_slot_id"] and conv.slots["requested_slot"] == "contact_name"
    # Said while the name is asked: a correction, not a name.
    await conv.say("actually make it Xuhui", "inform", [entity("district", "Xuhui")])
    assert conv.slots["contact_name"] is None
    assert conv.slots["booking_district"] == "xuhui"
    assert conv.slots["booking_center"] is None and conv.slots.get("booking_slot_id") is None
    assert conv.slots["requested_slot"] == "booking_center"
    assert all(button_message(b)[2][0]["value"].startswith("xuhui-") for b in conv.buttons)


async def test_a_new_service_keeps_a_centre_that_handles_it_and_drops_the_slot():
    conv = Conversation(sender=f"svc-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say("预约浦东办护照", "book_appointment",
                   [entity("service", "护照"), entity("district", "浦东")])
    await click(conv, conv.buttons[0])
    assert conv.slots["booking_slot_info"]["service"] == "passport"
    await conv.say("不是护照，是港澳通行证", "deny", [entity("service", "港澳通行证")])
    assert conv.slots["booking_service"] == "hk_macau_permit"
    assert conv.slots["booking_center"] == "pudong-exit-entry"  # also handles HK/Macau permits
    assert conv.slots["booking_slot_id"] is None
    assert conv.slots["requested_slot"] == "booking_slot_id"


async def test_a_district_without_the_service_lists_where_it_is():
    conv = Conversation(sender=f"where-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say("在静安预约办护照", "book_appointment",
                   [entity("service", "护照"), entity("district", "静安")])
    assert any("静安区没有可以办理普通护照的地点" in t and "浦东新区" in t and "徐汇区" in t
               for t in conv.texts)
    assert conv.slots["booking_district"] is None
    assert conv.slots["requested_slot"] == "booking_district"
    assert {button_message(b)[2][0]["value"] for b in conv.buttons} == {"pudong", "xuhui"}


async def test_an_ambiguous_or_unknown_service_is_asked_with_buttons():
    conv = Conversation(sender=f"amb-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say("我要预约", "book_appointment")
    assert conv.slots["requested_slot"] == "booking_service"
    assert len(conv.buttons) == 6
    await conv.say("办个什么东西吧")
    assert "没能确定您要办理的业务" in conv.texts[0]
    assert conv.slots["requested_slot"] == "booking_service" and conv.buttons
    await conv.say("居住证")  # no entity from the NLU: the answer is resolved as a whole
    assert conv.slots["booking_service"] in ("residence_permit", None)
    if conv.slots["booking_service"] is None:  # ambiguous: the candidates as buttons
        assert any("residence_permit" in b["payload"] for b in conv.buttons)


async def test_a_digression_is_rejected_and_the_booking_is_kept():
    conv = Conversation(sender=f"dig-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say("预约浦东办护照", "book_appointment",
                   [entity("service", "护照"), entity("district", "浦东")])
    await click(conv, conv.buttons[0])
    assert conv.slots["requested_slot"] == "contact_name"
    # "How much is an ID card?" is answered by a rule, and it does not change the booking.
    outcome = await conv.say("身份证要多少钱", "ask_service_fee", [entity("service", "身份证")])
    assert outcome == "rejected" and conv.messages == []
    assert conv.slots["service"] == "resident_id_card"
    await conv.resume()
    assert conv.slots["booking_service"] == "passport"
    assert conv.slots["requested_slot"] == "contact_name" and "姓名" in conv.texts[-1]


@pytest.mark.parametrize("text,intent", [("算了", "deny"), ("never mind", "deny"),
                                         ("What time do you open?", "ask_office_hours"),
                                         ("help", "help")])
async def test_stop_and_digressions_extract_nothing(text, intent):
    conv = Conversation(sender=f"rej-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("book a passport appointment in Pudong", "book_appointment",
                   [entity("service", "passport"), entity("district", "Pudong")])
    assert await conv.say(text, intent) == "rejected"
    assert conv.slots["booking_center"] == "pudong-exit-entry"


async def test_a_typed_stop_word_ends_the_form_even_without_deny():
    conv = Conversation(sender=f"stop-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("book a passport appointment in Pudong", "book_appointment",
                   [entity("service", "passport"), entity("district", "Pudong")])
    await click(conv, conv.buttons[0])
    await conv.say("stop", "out_of_scope")
    assert {"response": "utter_form_stopped"}.items() <= conv.messages[0].items()
    assert conv.active is None and conv.slots["booking_service"] is None
    assert conv.slots["contact_name"] is None


async def test_reset_after_stop_clears_the_booking_slots():
    events, _ = await run_action("action_reset_appointment_form",
                                 confirmed_tracker({"slot_id": "1", "center": "c", "service": "s",
                                                    "date": "2026-12-01", "start": "09:00",
                                                    "end": "10:00"}, "reset-user"))
    values = slot_values(events)
    assert set(booking_form.BOOKING_SLOTS) <= set(values) and not any(values.values())


async def test_phone_is_validated_and_can_come_with_the_name():
    conv = Conversation(sender=f"ph-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say("预约浦东办护照", "book_appointment",
                   [entity("service", "护照"), entity("district", "浦东")])
    await click(conv, conv.buttons[0])
    await conv.say("李娜")
    await conv.say("12345")
    assert "不是有效的手机号码" in conv.texts[0]
    assert conv.slots["contact_phone"] is None and conv.slots["requested_slot"] == "contact_phone"
    await conv.say("23817265590")  # not a mainland mobile number
    assert conv.slots["contact_phone"] is None

    other = Conversation(sender=f"ph2-{uuid.uuid4().hex[:8]}", lang="zh")
    await other.say("预约浦东办护照", "book_appointment",
                    [entity("service", "护照"), entity("district", "浦东")])
    await click(other, other.buttons[0])
    await other.say(f"张伟 {PHONE}")
    assert pii.decrypt(other.slots["contact_name"]) == "张伟" != other.slots["contact_name"]
    assert other.slots["contact_phone_last4"] == "5590"
    assert other.slots["requested_slot"] == "booking_confirmed"
    assert_no_clear_phone(other)


async def test_phone_digits_are_an_answer_whatever_the_intent():
    conv = Conversation(sender=f"ph3-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("book a passport appointment in Pudong", "book_appointment",
                   [entity("service", "passport"), entity("district", "Pudong")])
    await click(conv, conv.buttons[0])
    await conv.say("Li Lei")
    assert await conv.say(PHONE, "check_transport_card") == "ok"
    assert conv.slots["contact_phone_last4"] == "5590"


async def test_an_expired_or_foreign_phone_token_asks_again():
    item = (await free("xuhui-exit-entry", "hk_macau_permit"))[0]
    tracker = confirmed_tracker(info_of(item, "xuhui-exit-entry", "hk_macau_permit"), "tok-user")
    tracker.slots["contact_phone"] = "not-a-token"
    events, messages = await run_action("action_book_appointment", tracker)
    assert "重新提供一次手机号码" in messages[0]["text"]
    assert {"event": "followup", "name": "appointment_form"}.items() <= events[-1].items()


async def test_an_expired_or_foreign_name_token_asks_again():
    item = (await free("xuhui-exit-entry", "hk_macau_permit"))[0]
    tracker = confirmed_tracker(info_of(item, "xuhui-exit-entry", "hk_macau_permit"), "tok-user2",
                                lang="en")
    tracker.slots["contact_name"] = "张伟明"  # a clear value: never written by the form
    events, messages = await run_action("action_book_appointment", tracker)
    assert "give me the name for the booking once more" in messages[0]["text"]
    assert {"event": "slot", "name": "contact_name", "value": None}.items() <= events[0].items()
    assert {"event": "followup", "name": "appointment_form"}.items() <= events[-1].items()


async def test_booking_outage_keeps_the_attempt_for_a_safe_retry(down_client):
    info = {"slot_id": "1", "date": "2026-12-01", "start": "09:00", "end": "10:00",
            "center": "xuhui-exit-entry", "service": "passport"}
    events, messages = await run_action("action_book_appointment",
                                        confirmed_tracker(info, "down-user", lang="en"))
    assert "you won't be booked twice" in messages[0]["text"] and "12345" in messages[0]["text"]
    assert slot_values(events) == {"booking_confirmed": None}


async def test_outage_during_the_form_is_polite_and_ends_it(down_client):
    conv = Conversation(sender="down-form", lang="zh",
                        slots={"service": "passport", "district": "pudong"})
    await conv.say("预约", "book_appointment")
    assert any("12345" in t and "稍后再试" in t for t in conv.texts)
    assert conv.active is None


# ==============================================================================================
# Cancelling
# ==============================================================================================

async def a_booking(phone: str = "13512348888") -> dict:
    item = (await free("pudong-hukou", "resident_id_card"))[-1]
    return await book_directly(item["slot_id"], phone=phone)


async def test_cancel_end_to_end_zh():
    booking = await a_booking()
    number = booking["booking_no"]
    conv = Conversation(sender=f"c-{uuid.uuid4().hex[:8]}", lang="zh")
    await conv.say(f"帮我取消{number}", "cancel_appointment", [entity("booking_no", number)])
    assert conv.slots["booking_no"] == number
    assert conv.slots["requested_slot"] == "phone_last4" and "后四位" in conv.texts[-1]
    await conv.say("8888")
    ask = conv.texts[-1]
    assert number in ask and "居民身份证" in ask and "确定要取消" in ask
    assert [b["payload"] for b in conv.buttons] == ["/affirm", "/deny"]
    await conv.say("是的", "affirm")
    assert conv.texts[-1].startswith(f"已为您取消预约 {number}") and "名额已释放" in conv.texts[-1]
    view = await raw().post("/v1/appointments/lookup",
                                   {"booking_no": number, "phone_last4": "8888"})
    assert view["status"] == "cancelled"
    assert all(conv.slots[s] is None for s in booking_cancel.CANCEL_SLOTS)


async def test_cancel_in_one_message_en():
    booking = await a_booking(phone="13512347777")
    number = booking["booking_no"]
    conv = Conversation(sender=f"c-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say(f"cancel booking {number.lower()}, phone ends in 7777", "cancel_appointment")
    assert conv.slots["booking_no"] == number and conv.slots["phone_last4"] == "7777"
    assert "Do you want to cancel it?" in conv.texts[-1] and "Resident ID Card" in conv.texts[-1]
    await conv.say("yes", "affirm")
    assert conv.texts[-1].startswith(f"Booking {number} is cancelled")


async def test_digits_left_from_another_lookup_are_not_reused():
    booking = await a_booking(phone="13512344444")
    conv = Conversation(sender=f"c-{uuid.uuid4().hex[:8]}", lang="zh",
                        slots={"phone_last4": "4444"})  # from an abandoned status lookup
    await conv.say(f"取消{booking['booking_no']}", "cancel_appointment",
                   [entity("booking_no", booking["booking_no"])])
    assert conv.slots["phone_last4"] is None and conv.slots["requested_slot"] == "phone_last4"
    assert conv.texts == ["为核实身份，请提供预约时所留手机号的后四位。"]


async def test_cancel_wrong_digits_and_unknown_number_get_the_same_answer():
    booking = await a_booking(phone="13512346666")
    answers = []
    for number in (booking["booking_no"], "AP261130ZZZZZZZZ"):
        conv = Conversation(sender=f"c-{uuid.uuid4().hex[:8]}", lang="en")
        await conv.say(f"cancel {number}", "cancel_appointment", [entity("booking_no", number)])
        await conv.say("1234")
        answers.append(conv.texts[0])
        assert conv.slots["booking_no"] is None and conv.slots["phone_last4"] is None
        assert conv.slots["requested_slot"] == "booking_no"  # asked again
    assert answers[0] == answers[1] and "couldn't find a booking" in answers[0]


async def test_cancel_too_many_attempts():
    number = f"AP2611{uuid.uuid4().hex[:10].upper()}"[:16]
    conv = Conversation(sender=f"c-{uuid.uuid4().hex[:8]}", lang="zh")
    for _ in range(5):
        await conv.say(f"取消预约 {number}", "cancel_appointment", [entity("booking_no", number)])
        await conv.say("0000")
        assert "没有找到" in conv.texts[0]
        conv.active = None
    await conv.say(f"取消预约 {number}", "cancel_appointment", [entity("booking_no", number)])
    await conv.say("0000")
    assert "核对失败次数过多" in conv.texts[0] and "12345" in conv.texts[0]
    assert conv.active is None


async def test_cancel_an_already_cancelled_booking():
    booking = await a_booking(phone="13512345555")
    number = booking["booking_no"]
    await raw().post("/v1/appointments/cancel", {"booking_no": number, "phone_last4": "5555"})
    conv = Conversation(sender=f"c-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say(f"cancel {number}", "cancel_appointment", [entity("booking_no", number)])
    await conv.say("the last 4 digits are 5555")
    assert "already cancelled" in conv.texts[0] and conv.active is None


async def test_cancel_needs_a_plausible_booking_number():
    conv = Conversation(sender=f"c-{uuid.uuid4().hex[:8]}", lang="en")
    await conv.say("cancel my appointment", "cancel_appointment")
    assert conv.slots["requested_slot"] == "booking_no"
    await conv.say("the one on Friday")
    assert "starts with AP" in conv.texts[0] and conv.slots["requested_slot"] == "booking_no"


async def test_cancel_outage(down_client):
    tracker = Tracker("down-c", {"language": "en", "booking_no": "AP261130ZZZZZZZZ",
                                 "phone_last4": "1234", "cancel_confirmed": True}, {}, [],
                      False, None, {}, "cancel_appointment_form")
    events, messages = await run_action("action_cancel_appointment", tracker)
    assert "12345" in messages[0]["text"] and slot_values(events) == {"cancel_confirmed": None}


# ==============================================================================================
# Small pieces
# ==============================================================================================

async def test_a_button_click_keeps_the_language():
    latest = {"text": '/inform{"slot_id": "14983"}', "intent": {"name": "inform"},
              "entities": [entity("slot_id", "14983")], "metadata": {}}
    tracker = Tracker("lang-user", {"language": "zh"}, latest,
                      [{"event": "user", "text": latest["text"], "parse_data": latest}],
                      False, None, {"name": "appointment_form"}, "action_listen")
    events = await ActionExtractContext().run(CollectingDispatcher(), tracker, {})
    assert slot_values(events).get("language", "zh") == "zh"



@pytest.mark.parametrize("text,expected", [
    ("10:00", (10, 0)), ("上午10点", (10, None)), ("下午三点半", (15, 30)), ("3pm", (15, None)),
    ("2点", (14, None)), ("9 am", (9, None)), ("明天", None), ('/inform{"slot_id": "12"}', None),
])
def test_parse_time(text, expected):
    assert booking_slots.parse_time(text) == expected


@pytest.mark.parametrize("text,answering,expected", [
    ("5590", True, "5590"), ("5590", False, None), ("尾号5590", False, "5590"),
    ("phone ends with 5590", False, "5590"), ("13817265590", False, "5590"),
    ("１３８１７２６５５９０", True, "5590"), ("SH2026110500123", True, None),
])
def test_find_last4(text, answering, expected):
    assert find_last4(text, answering) == expected


def test_idempotency_key_is_stable_and_opaque():
    key = booking_slots.idempotency_key("user-1", "42", "abc")
    assert key == booking_slots.idempotency_key("user-1", "42", "abc")
    assert key != booking_slots.idempotency_key("user-1", "43", "abc")
    assert key != booking_slots.idempotency_key("user-1", "42", "abd")
    assert "user-1" not in key and len(key) <= 128


def test_pick_slots_spreads_over_days():
    days = ["2026-12-01", "2026-12-02", "2026-12-03"]
    items = [{"slot_id": i * 10 + h, "date": d, "start": f"{9 + h:02d}:00", "end": ""}
             for i, d in enumerate(days) for h in range(8)]
    chosen = booking_slots.pick_slots(items, date(2026, 12, 1), whole_day=False)
    assert len(chosen) == 6 and {c["date"] for c in chosen} == set(days[:2])
    assert [c["start"] for c in chosen[:3]] == ["09:00", "13:00", "16:00"]
    whole = booking_slots.pick_slots(items, date(2026, 12, 3), whole_day=True)
    assert len(whole) == 6 and {c["date"] for c in whole} == {"2026-12-03"}


def test_secrets_round_trip_and_refuse_tampering(monkeypatch):
    monkeypatch.setenv("PII_SECRET_KEY", "test-secret")
    token = pii.encrypt(PHONE)
    assert PHONE not in token and pii.decrypt(token) == PHONE
    assert pii.decrypt(token[:-2] + "AA") is None
    monkeypatch.setenv("PII_SECRET_KEY", "another-secret")
    assert pii.decrypt(token) is None
