"""privacy.redact_text: every way citizens write an ID, mobile, card number or e-mail, in both
languages, is redacted; what they need back (dates, prices, booking and ticket numbers, 12345,
account numbers) is left as it is."""
from __future__ import annotations

import pytest

from privacy import redact, redact_text

# (text, the personal number it carries as digits/characters, what must remain visible)
PERSONAL = [
    ("my phone is 13812345678", "13812345678", "138******78"),
    ("我的手机号是13812345678。", "13812345678", "138******78"),
    ("call me on 138 1234 5678", "1234 5678", "138******78"),
    ("手机：138-1234-5678", "1234-5678", "138******78"),
    ("mobile 138.1234.5678 please", "1234.5678", "138******78"),
    ("+86 138 1234 5678", "1234 5678", "138******78"),
    ("+8613812345678", "13812345678", "138******78"),
    ("电话１３８１２３４５６７８", "１２３４５６７８", "138******78"),
    ("手机一三八一二三四五六七八", "一二三四五六七八", "138******78"),
    ("手机 幺三八 一二三四 五六七八", "一二三四 五六七八", "138******78"),
    ("ID 310101199001011234", "199001011234", "3101************34"),
    ("身份证号310101199001011234", "199001011234", "3101************34"),
    ("身份证 31010119900101123X", "19900101123X", "3101************3X"),
    ("ID: 310101 19900101 1234", "19900101 1234", "3101************34"),
    ("身份证 310101 1990 0101 1234", "1990 0101", "3101************34"),
    ("身份证 310 101 1990 0101 1234", "1990 0101", "3101************34"),
    ("身份证３１０１０１１９９００１０１１２３４", "１９９００１０１", "3101************34"),
    ("old ID 310101900101123", "900101123", "3101*********23"),
    ("旧身份证号码 310101 900101 123", "900101 123", "3101*********23"),
    ("card 6222021234567890128", "6222021234567890128", "**** 0128"),
    ("银行卡 6222 0212 3456 7890 128", "0212 3456 7890", "**** 0128"),
    ("卡号 4111-1111-1111-1111", "4111-1111-1111", "**** 1111"),
    ("e-mail zhang.san@example.com", "zhang.san@", "z***@example.com"),
    ("邮箱：li_wei＠mail.sh.cn", "li_wei", "l***@mail.sh.cn"),
]

KEPT = [
    "预约号 SH2026111200086", "booking SH2026111200086 on 2026-11-12 at 14:30",
    "工单 12345-20261128-7K3QXM 的进度", "ticket 12345-20261128-7K3QXM",
    "请拨打12345热线", "call the 12345 hotline", "费用 ¥1,380.00", "fee 200 yuan, 15 working days",
    "水费户号 1020384756", "account 3102746619", "交通卡 31008815263",
    "电话 021-63214567", "2026年11月12日 上午9:00", "一二三四五六七八九十", "第一百二十三号",
    "手机尾号 5678", "last 4 digits 5678",
]


@pytest.mark.parametrize("text, secret, shown", PERSONAL)
def test_personal_numbers_are_redacted_however_written(text, secret, shown):
    redacted = redact_text(text)
    assert secret not in redacted
    assert shown in redacted


@pytest.mark.parametrize("text", KEPT)
def test_what_citizens_need_back_is_not_redacted(text):
    assert redact_text(text) == text


def test_several_in_one_message_and_the_surrounding_text_is_kept():
    text = "我叫张伟，手机13812345678，身份证310101199001011234，邮箱zw@example.com，预约号SH2026111200086"
    assert redact_text(text) == ("我叫张伟，手机138******78，身份证3101************34，"
                                 "邮箱z***@example.com，预约号SH2026111200086")


def test_structures_are_redacted_throughout():
    event = {"event": "user", "text": "13812345678", "parse_data": {"entities": [
        {"entity": "phone", "value": "138 1234 5678"}]}, "timestamp": 1.5, "metadata": None}
    assert redact(event) == {"event": "user", "text": "138******78", "parse_data": {"entities": [
        {"entity": "phone", "value": "138******78"}]}, "timestamp": 1.5, "metadata": None}
