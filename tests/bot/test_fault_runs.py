"""The fault runs' short form (bench/fault_runs.py): 20 conversations of 2 messages per fault
against the production configuration. Every 200 is stored exactly once and in order; everything
else was a retryable error; retried with the same message_id, nothing is lost or duplicated."""
from __future__ import annotations

from bench.fault_runs import FAULTS, run, table


def test_no_answered_message_is_lost_or_duplicated_under_faults():
    results = run(list(FAULTS), conversations=20, turns=2)
    report = table(results)
    for fault, tally in results.items():
        assert tally.injected > 0, f"{fault}: the fault never struck\n{report}"
        assert not tally.unexpected and not tally.given_up, f"{fault}\n{report}"
        assert (tally.lost, tally.duplicated, tally.out_of_order) == (0, 0, 0), f"{fault}\n{report}"
        assert tally.answered == 40, f"{fault}\n{report}"
    # An outage longer than the store's retries is answered 503, not 200 from memory.
    assert results["postgres-outage"].retryable[503] > 0, report


def test_the_citizens_drop_idle_connections_before_rasa_does():
    from rasa.server import create_app

    from bench.fault_runs import CLIENT_KEEPALIVE_S

    assert CLIENT_KEEPALIVE_S < create_app().config.KEEP_ALIVE_TIMEOUT
