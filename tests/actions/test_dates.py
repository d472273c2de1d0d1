from datetime import date

import pytest

from actions.dates import local_time, parse

BASE = date(2026, 11, 28)  # a Saturday


@pytest.mark.parametrize("text,expected", [
    ("今天", BASE), ("明天上午", date(2026, 11, 29)), ("后天", date(2026, 11, 30)),
    ("周一", date(2026, 11, 30)), ("星期六", BASE), ("下周一", date(2026, 11, 30)),
    ("下周三", date(2026, 12, 2)), ("12月3日", date(2026, 12, 3)), ("1月5号", date(2027, 1, 5)),
    ("tomorrow", date(2026, 11, 29)), ("next Monday", date(2026, 11, 30)),
    ("on Wednesday", date(2026, 12, 2)), ("Dec 3", date(2026, 12, 3)),
    ("3 December", date(2026, 12, 3)), ("2026-12-05", date(2026, 12, 5)),
    ("2026年12月5日", date(2026, 12, 5)), ("this weekend", BASE),
])
def test_parse(text, expected):
    assert parse(text, BASE) == expected


@pytest.mark.parametrize("text", ["", "hello", "13月40日", "2026-02-30", "sometime"])
def test_unparseable(text):
    assert parse(text, BASE) is None


@pytest.mark.parametrize("iso,expected", [
    ("2026-11-28T16:30:00", "2026-11-29 00:30"),          # naive timestamps are UTC
    ("2026-11-28T16:30:00+00:00", "2026-11-29 00:30"),
    ("2026-11-28T09:05:00+08:00", "2026-11-28 09:05"),    # already Shanghai time
    ("", ""), (None, ""), ("not a time", "not a time"),
])
def test_local_time_is_shanghai_wall_clock(iso, expected):
    assert local_time(iso) == expected
