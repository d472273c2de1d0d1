"""How citizens write the things every service reads back (mobile numbers, a phone's last 4
digits, Chinese text) and the names every service writes (weekdays, months, the 12345 hotline).

One home for these conventions, shared by the redaction (privacy/redaction.py), the actions, the
Rasa side and the console. Standard library only, so every Python environment imports it.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

# One optional separator between digit groups: "138 1726 5590", "138-1726-5590", "138.1726.5590".
DIGIT_SEP = r"[\s\-.]?"
# A mainland mobile number, optionally +86, digits grouped with at most one separator between them.
MOBILE = re.compile(r"(?<![0-9])(?:\+?86" + DIGIT_SEP + r")?1[3-9](?:" + DIGIT_SEP + r"\d){9}"
                    r"(?![0-9])")
# A mobile number as an API field holds it: exactly 11 ASCII digits ([0-9]: \d takes full-width too).
MOBILE_FIELD = r"^1[3-9][0-9]{9}$"
# The CJK ideographs (extension A, the unified block and the compatibility block), as the inside
# of a character class so a pattern can add its own characters to it.
CJK_CHARS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{CJK_CHARS}]")

_LAST4_HINT = re.compile(r"(?:尾号|后四位|後四位|后4位|後4位|last\s*(?:4|four)(?:\s*digits?)?|"
                         r"ends?\s*(?:in|with))\D{0,12}?(\d{4})(?!\d)", re.I)
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")

# Monday first, like date.weekday(): 周一 … 周日, Monday … Sunday.
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")

# The way out every reply offers when the assistant cannot help (bilingual, like every reply).
HOTLINE = {"zh": "12345 市民服务热线", "en": "the 12345 citizen hotline"}
TRY_LATER_OR_CALL = {"zh": f"请稍后再试，或拨打 {HOTLINE['zh']}。",
                     "en": f"Please try again later, or call {HOTLINE['en']}."}


def normalize(text: Any) -> str:
    """NFKC: full-width digits and letters become ASCII ("１３８" -> "138")."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def has_cjk(text: str | None) -> bool:
    return bool(CJK.search(text or ""))


def find_mobile(text: Any) -> str | None:
    """The first mainland mobile number in the text, as its 11 digits."""
    match = MOBILE.search(normalize(text))
    return re.sub(r"\D", "", match[0])[-11:] if match else None


def find_last4(text: Any, answering: bool) -> str | None:
    """The phone's last 4 digits in a message.

    Always: from a full mobile number or after "尾号/后四位/last 4/ends in". When the message
    answers the question, also a lone group of 4 digits ("5590", "是5590"). A button payload
    ("/inform{...}") is never read.
    """
    text = normalize(text)
    if text.startswith("/"):
        return None
    phone = find_mobile(text)
    if phone:
        return phone[-4:]
    match = _LAST4_HINT.search(text)
    if match:
        return match[1]
    if answering:
        groups = _FOUR_DIGITS.findall(text)
        if len(groups) == 1:
            return groups[0]
    return None


def last4_of(value: Any) -> str | None:
    """A slot value as 4 ASCII digits: "5590", "１２３４", or a full mobile number cut to its end."""
    text = normalize(value)
    phone = find_mobile(text)
    if phone:
        return phone[-4:]
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) == 4 and digits.isascii() else None


def weekday_name(index: int, lang: str, short: bool = False) -> str:
    """Day `index` (0 = Monday) as "周一" / "Monday", or "Mon" when `short`."""
    if lang == "zh":
        return "周" + WEEKDAYS_ZH[index]
    return WEEKDAYS_EN[index][:3] if short else WEEKDAYS_EN[index]


def month_name_en(month: int, short: bool = True) -> str:
    """Month 1-12 as "Dec" (or "December")."""
    return MONTHS_EN[month - 1][:3] if short else MONTHS_EN[month - 1]
