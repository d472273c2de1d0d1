"""Trackers and slots copied from their state, not rebuilt.

Before every action Rasa 3.6 copies the conversation (`DialogueStateTracker.copy`, so that a
rejected action leaves the original untouched), and the copy replays every event through a new
tracker. The state those events built is already on the tracker, so the copy takes it from there:
the same event objects in a new list, copies of the slots, of the active loop and of the latest
action. What Rasa's copy leaves out (the model and assistant ids, the sender source) stays out, so
the result is the tracker Rasa's replay builds (`tests/bot/test_rasa_patches.py` compares them).

Every new tracker (a copy, and each of the prior trackers a policy replays to featurize the
history) copies all the domain's slots with `copy.copy`, which goes through the generic pickle
protocol for each one. A slot is a plain object, so `__copy__` does what that protocol does (a new
instance with the same attribute dictionary) without it. Together, about a tenth of the server's
CPU per message (py-spy under the benchmark's load).
"""
from __future__ import annotations

import copy
import dataclasses

from rasa.shared.constants import DEFAULT_SENDER_ID
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

rasa_copy = DialogueStateTracker.copy  # Rasa's own, for the tests' comparison


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    # Rasa's `init_copy` without its slots (it would copy them only to reset them).
    tracker = DialogueStateTracker(self.sender_id or DEFAULT_SENDER_ID, (), self._max_event_history,
                                   is_rule_tracker=self.is_rule_tracker)
    tracker.events = tracker._create_events(self.events)
    tracker.slots = {name: copy.copy(slot) for name, slot in self.slots.items()}
    tracker._paused = self._paused
    tracker.followup_action = self.followup_action
    tracker.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    tracker.latest_message = self.latest_message
    tracker.latest_bot_utterance = self.latest_bot_utterance
    tracker.active_loop = dataclasses.replace(self.active_loop) if self.active_loop else self.active_loop
    return tracker


def copy_slot(self: Slot) -> Slot:
    clone = self.__class__.__new__(self.__class__)
    clone.__dict__.update(self.__dict__)
    return clone


def install() -> None:
    DialogueStateTracker.copy = copy_tracker
    Slot.__copy__ = copy_slot
