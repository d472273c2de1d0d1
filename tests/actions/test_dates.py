from datetime import date

import pytest

from actions.dates import parse

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
