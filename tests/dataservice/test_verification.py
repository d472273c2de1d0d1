"""The one verification sequence (dataservice/verification.py) behind every personal lookup:
limit → verify → audit → 404, on each database."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from dataservice.db import make_engine, make_sessionmaker
from dataservice.errors import ApiError
from dataservice.lockout import FailedAttemptLimiter
from dataservice.models import AuditLog
from dataservice.verification import Lookup, Verifier

LIMIT = 3
RECORD = object()


@pytest.fixture()
def verifier(settings):
    engine = make_engine(settings.database_url)
    yield Verifier(FailedAttemptLimiter(None, "verification-test", max_failures=LIMIT),
                   make_sessionmaker(engine))
    engine.dispose()


def _lookup() -> Lookup:
    return Lookup(scope="test", action="test.lookup", record_ref=f"REF-{uuid.uuid4().hex[:12]}",
                  client="key-test", not_found="No record matches.")


def _answer(verifier, lookup, outcome, then=lambda _s, record: "the answer"):
    return asyncio.run(verifier.answer(lookup, lambda _s: (outcome, RECORD if outcome == "found"
                                                          else None), then))


def _status(verifier, lookup, outcome, **then) -> int:
    try:
        _answer(verifier, lookup, outcome, **then)
    except ApiError as exc:
        return exc.status
    return 200


def _audit(verifier, lookup) -> list[str]:
    with verifier.sessionmaker() as session:
        return list(session.scalars(select(AuditLog.outcome)
                                    .where(AuditLog.record_ref == lookup.record_ref)
                                    .order_by(AuditLog.id)))


def test_found_answers_and_is_audited(verifier):
    lookup = _lookup()
    assert _answer(verifier, lookup, "found") == "the answer"
    assert _audit(verifier, lookup) == ["found"]


@pytest.mark.parametrize("outcome", ["not_found", "verification_failed"])
def test_a_miss_is_one_404_audited_and_counted_until_the_lockout(verifier, outcome):
    lookup = _lookup()
    statuses = [_status(verifier, lookup, outcome) for _ in range(LIMIT + 2)]
    assert statuses == [404] * LIMIT + [429, 429]
    # Refused attempts are not evaluated, so not audited.
    assert _audit(verifier, lookup) == [outcome] * LIMIT
    with pytest.raises(ApiError, match="No record matches."):
        _answer(verifier, _lookup(), outcome)


def test_a_refusal_after_verification_is_rolled_back_and_not_counted(verifier):
    """A cancellation refused with a 409 (an appointment in the past) is no failed verification."""
    lookup = _lookup()

    def refuse(_session, _record):
        raise ApiError(409, "booking_in_past", "This appointment has already started or passed.")

    assert [_status(verifier, lookup, "found", then=refuse) for _ in range(LIMIT + 2)] == \
        [409] * (LIMIT + 2)
    assert _audit(verifier, lookup) == []  # rolled back with the refused change
    assert _status(verifier, lookup, "found") == 200
