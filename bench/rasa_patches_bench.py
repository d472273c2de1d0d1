"""CPU per call of the Rasa internals that bot/rasa_patches replaces: Rasa's own code against the
patch, on the trackers of the conversation tests and the trained model's rules.

    .venv/rasa/bin/python bench/rasa_patches_bench.py [--rounds 5]

Process CPU time, the best of several rounds, alternating Rasa's code and the patch so that a busy
machine slows both alike; the model's objects are frozen first, as the server does
(`frozen_model`), so that no full collection of them lands in a round. The last row is one full
collection with the loaded model, without and with that freeze. A whole-server benchmark (bench/assistant_bench.py) moves by about 15%
with the machine's load, more than one such patch saves; this measures each patch on its own.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import rasa_patches  # noqa: E402

rasa_patches.install()

import json  # noqa: E402

from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.core.agent import Agent  # noqa: E402
from rasa.core.policies.rule_policy import RulePolicy  # noqa: E402
from rasa.core.training import load_data  # noqa: E402
from rasa.shared.core.slots import Slot  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from rasa.utils.endpoints import EndpointConfig  # noqa: E402

from bot.rasa_patches import action_calls, rule_policy, tracker_copy  # noqa: E402

MODEL = ROOT / "models" / "shanghai-assistant.tar.gz"


def trackers_of_conversations(domain) -> list[DialogueStateTracker]:
    """Every prefix ending at a bot action of every conversation test: the trackers Rasa copies
    and featurizes while it answers."""
    stories = load_data(str(ROOT / "tests" / "conversations"), domain, augmentation_factor=0)
    trackers = []
    for story in stories:
        events = list(story.events)
        for end in range(2, len(events) + 1):
            trackers.append(DialogueStateTracker.from_events("bench", events[:end], domain.slots))
    return trackers


def cpu_ms(run: Callable[[], None], calls: int) -> float:
    started = time.process_time()
    run()
    return 1000 * (time.process_time() - started) / calls


def compare(name: str, rasas: Callable[[], None], ours: Callable[[], None], calls: int,
            rounds: int) -> tuple[str, float, float]:
    before = after = float("inf")
    for _ in range(rounds):  # alternate, so that a change in the machine's load hits both
        before = min(before, cpu_ms(rasas, calls))
        after = min(after, cpu_ms(ours, calls))
    return name, before, after


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    agent = Agent.load(str(MODEL))
    domain = agent.domain
    trackers = trackers_of_conversations(domain)
    policy = next(node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(node, "_component", None), RulePolicy))
    fast_slot_copy = Slot.__copy__

    def with_pickled_slots(run: Callable[[], None]) -> Callable[[], None]:
        def pickled() -> None:
            del Slot.__copy__
            try:
                run()
            finally:
                Slot.__copy__ = fast_slot_copy
        return pickled

    def copies(copy: Callable) -> Callable[[], None]:
        return lambda: [copy(t) for t in trackers]

    def featurize() -> None:
        for t in trackers:
            t.past_states(domain)

    states = [t.past_states(domain) for t in trackers]
    rules = policy.lookup["rules"]

    def matching(check: Callable, possible_keys: Callable) -> Callable[[], None]:
        def run() -> None:
            RulePolicy._is_rule_applicable = check
            try:
                for s in states:
                    possible_keys(policy, rules, s)
            finally:
                RulePolicy._is_rule_applicable = rule_policy._is_rule_applicable
        return run

    # What an action server returns: slot events of the conversations and a reply with buttons.
    returned = [e.as_dict() for t in trackers[::50] for e in list(t.events)[-3:]]
    reply = {"text": "居住证办理需要：身份证、租赁合同", "buttons": [
        {"title": "预约办理 Book", "payload": "/book_appointment"}]}
    responses = [{"events": returned[i:i + 3], "responses": [reply]}
                 for i in range(0, len(returned), 3)]
    remote = RemoteAction("validate_booking_form", EndpointConfig("http://localhost:1/webhook"))

    def checking(validate: Callable) -> Callable[[], None]:
        return lambda: [validate(remote, r) for r in responses]

    bodies = [remote._action_call_format(t, domain) for t in trackers[::10]]

    def encoding(dumps: Callable) -> Callable[[], None]:
        return lambda: [dumps(body) for body in bodies]

    def full_collection(frozen: bool) -> Callable[[], None]:
        def run() -> None:
            gc.unfreeze()
            if frozen:
                gc.freeze()
            gc.collect()
        return run

    n = len(trackers)
    collection = compare("a full garbage collection, the model loaded (`frozen_model`)",
                         full_collection(False), full_collection(True), 1, args.rounds)
    gc.freeze()
    rows = [
        compare("tracker copy before an action (`tracker_copy`)",
                with_pickled_slots(copies(tracker_copy.rasa_copy)), copies(tracker_copy.copy_tracker),
                n, args.rounds),
        compare("past states for a policy (slots copied by `tracker_copy`)",
                with_pickled_slots(featurize), featurize, n, args.rounds),
        compare(f"RulePolicy's matching over its {len(rules)} rules (`rule_policy`)",
                matching(rule_policy.rasa_is_rule_applicable, rule_policy.rasa_get_possible_keys),
                matching(rule_policy._is_rule_applicable, rule_policy._get_possible_keys),
                n, args.rounds),
        compare("an action response checked against Rasa's schema (`action_calls`)",
                checking(action_calls.rasa_validate_action_result),
                checking(action_calls.validate_action_result), len(responses), args.rounds),
        compare("a form validator's request body encoded, domain included (`action_calls`)",
                encoding(json.dumps), encoding(action_calls.serialize_body), len(bodies),
                args.rounds),
        collection,
    ]
    events = sum(len(t.events) for t in trackers) / n
    print(f"{n} trackers (conversation-test prefixes, {events:.0f} events on average), "
          f"{len(domain.slots)} slots, best of {args.rounds} alternating rounds, CPU ms per call:\n")
    print("| Rasa internal | Rasa 3.6.21 | patched | saved |")
    print("|---|---:|---:|---:|")
    for name, before, after in rows:
        print(f"| {name} | {before:.3f} | {after:.3f} | {1 - after / before:.0%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
