"""privacy.parsing: the one reading of mobile numbers and a phone's last 4 digits that the actions
and the redaction share, in both languages, and the names every service writes."""
from __future__ import annotations

import pytest

from privacy import redact_text
from privacy.parsing import (TRY_LATER_OR_CALL, find_last4, find_mobile, has_cjk, last4_of,
                             weekday_name)

MOBILES = [
    ("我的手机号是13817265590。", "13817265590"),
    ("my number is 138 1726 5590", "13817265590"),
    ("手机：138-1726-5590", "13817265590"),
    ("+86 138 1726 5590", "13817265590"),
    ("+8613817265590", "13817265590"),
    ("电话１３８１７２６５５９０", "13817265590"),
    ("张伟 13817265590", "13817265590"),
]


@pytest.mark.parametrize("text,digits", MOBILES)
def test_a_mobile_is_read_however_written(text, digits):
    assert find_mobile(text) == digits


@pytest.mark.parametrize("text,_digits", MOBILES)
def test_what_the_actions_read_as_a_mobile_the_redaction_hides(text, _digits):
    assert find_mobile(redact_text(text)) is None
    assert "5590" not in redact_text(text).replace("５５９０", "5590")


@pytest.mark.parametrize("text", ["SH2026110500123", "ticket 12345", "12812345678",
                                  "138172655901", "预约号 AP261130V53VY753"])
def test_other_numbers_are_not_mobiles(text):
    assert find_mobile(text) is None


@pytest.mark.parametrize("text,answering,expected", [
    ("5590", True, "5590"), ("是5590", True, "5590"), ("5590", False, None),
    ("尾号5590", False, "5590"), ("手机后四位是 5590", False, "5590"),
    ("phone ends with 5590", False, "5590"), ("the last 4 digits are 5590", False, "5590"),
    ("１３８１７２６５５９０", True, "5590"), ("SH2026110500123", True, None),
    ('/inform{"phone_last4": "5590"}', True, None), ("5590 or 1234", True, None),
])
def test_last4_in_a_message(text, answering, expected):
    assert find_last4(text, answering) == expected


@pytest.mark.parametrize("value,expected", [
    ("5590", "5590"), ("５５９０", "5590"), ("13817265590", "5590"), ("559", None),
    ("55900", None), (None, None),
])
def test_last4_of_a_slot_value(value, expected):
    assert last4_of(value) == expected


def test_weekday_names_in_both_languages():
    assert [weekday_name(i, "zh") for i in (0, 6)] == ["周一", "周日"]
    assert [weekday_name(i, "en") for i in (0, 6)] == ["Monday", "Sunday"]
    assert weekday_name(3, "en", short=True) == "Thu"


def test_chinese_text_is_recognised():
    assert has_cjk("我的 passport") and not has_cjk("my passport 12345")


def test_the_way_out_names_the_hotline_in_both_languages():
    assert "12345" in TRY_LATER_OR_CALL["zh"] and "热线" in TRY_LATER_OR_CALL["zh"]
    assert "12345" in TRY_LATER_OR_CALL["en"] and "hotline" in TRY_LATER_OR_CALL["en"]
