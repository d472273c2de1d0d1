"""Redaction of citizens' personal numbers and addresses before anything is stored or logged.

What is redacted, however it is written (ASCII or full-width digits, spaces, hyphens or dots
between groups, Chinese numerals for mobiles):

- resident ID numbers, 18 characters (last may be X) or the old 15-digit form: first 4 and last 2
  kept (310101********1234 → 3101************34);
- mainland mobile numbers, optionally +86: first 3 and last 2 kept (138******78);
- bank card numbers, any run of 16-19 digits (alone or grouped by 4): last 4 kept (**** 1234).
  No Luhn check: a mistyped card number is still a card number, and no number citizens need back
  is that long;
- e-mail addresses: first character of the local part and the domain kept (z***@example.com).

Kept on purpose, because citizens and operators need them back and they identify no one by
themselves: dates, times, prices, booking numbers (SH2026111200086), ticket numbers, the 12345
hotline, landlines, utility account numbers (10 digits), transport card numbers (11 digits) and
other digit strings that are not one of the above.

Names cannot be recognised in free text: the tracker store redacts the answers to the questions
that ask for them (bot/stores.py), and the actions keep the values encrypted (actions/secrets.py).
"""
from __future__ import annotations

import re
from typing import Any

from privacy.parsing import MOBILE

# Full-width digits/letters and Chinese numerals read as ASCII, one character for one character,
# so a match's span in the normalised text is its span in the original.
_FULLWIDTH = {ord("０") + i: str(i) for i in range(10)} | {ord("Ｘ"): "X", ord("ｘ"): "x",
                                                          ord("＋"): "+", ord("－"): "-",
                                                          ord("．"): ".", ord("　"): " ",
                                                          ord("＠"): "@"}
_CHINESE_DIGITS = {ord(c): str(i) for i, c in enumerate("〇一二三四五六七八九")} | {ord("零"): "0",
                                                                                  ord("幺"): "1"}

_SEP = r"[ \-.]?"  # one optional separator between digit groups
_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9A-Za-z])"

# 18-character ID: 6 (region) 8 (birth date) 3 (sequence) 1 (check digit or X), written in one run
# or grouped 6-8-4 / 6-4-4-4 / 3-3-4-4-4 with separators; the 15-digit form: 6-6-3.
_ID18 = re.compile(r"(?<![0-9])(?:[1-9]\d{5}" + _SEP + r"(?:19|20)\d{2}" + _SEP
                   + r"(?:0[1-9]|1[0-2])" + r"(?:0[1-9]|[12]\d|3[01])" + _SEP + r"\d{3}[0-9Xx])"
                   + _NOT_DIGIT_AFTER)
_ID18_GROUPED = re.compile(r"(?<![0-9])[1-9]\d{2}" + _SEP + r"\d{3}" + _SEP + r"\d{4}"
                           + _SEP + r"\d{4}" + _SEP + r"\d{3}[0-9Xx]" + _NOT_DIGIT_AFTER)
_ID15 = re.compile(_NOT_DIGIT_BEFORE + r"[1-9]\d{5}" + _SEP + r"\d{2}(?:0[1-9]|1[0-2])"
                   r"(?:0[1-9]|[12]\d|3[01])" + _SEP + r"\d{3}" + _NOT_DIGIT_AFTER)
# Mobile: 1[3-9]x, grouped 3-4-4 or 3-3-3-2 etc. with at most one separator between digits.
_PHONE = MOBILE
# Card: 16-19 digits, in one run or grouped by 4 (the last group 1-4 digits).
_CARD = re.compile(_NOT_DIGIT_BEFORE + r"\d{4}(?:" + _SEP + r"\d{4}){3}(?:" + _SEP
                   + r"\d{1,3})?" + _NOT_DIGIT_AFTER + r"|" + _NOT_DIGIT_BEFORE + r"\d{16,19}"
                   + _NOT_DIGIT_AFTER)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "Xx")


def _mask_id(match: re.Match) -> str:
    digits = _digits(match[0])
    return digits[:4] + "*" * (len(digits) - 6) + digits[-2:]


def _mask_phone(match: re.Match) -> str:
    digits = _digits(match[0])[-11:]
    return digits[:3] + "******" + digits[-2:]


def _mask_card(match: re.Match) -> str:
    digits = _digits(match[0])
    return "**** " + digits[-4:]


def _mask_email(match: re.Match) -> str:
    local, _, domain = match[0].partition("@")
    return local[:1] + "***@" + domain


def _sub_on(normalised: str, original: str, pattern: re.Pattern, mask) -> tuple[str, str]:
    """Substitute in both strings at the spans found in the normalised one (same length)."""
    out_n, out_o, last = [], [], 0
    for m in pattern.finditer(normalised):
        replacement = mask(m)
        if replacement == m[0]:
            continue
        out_n += [normalised[last:m.start()], replacement]
        out_o += [original[last:m.start()], replacement]
        last = m.end()
    if not out_n:
        return normalised, original
    out_n.append(normalised[last:])
    out_o.append(original[last:])
    return "".join(out_n), "".join(out_o)


def _has_candidates(text: str) -> bool:
    numerals = sum(ch.isdigit() or ch in "〇一二三四五六七八九零幺" for ch in text)
    return numerals >= 7 or "@" in text or "＠" in text


def redact_text(text: str) -> str:
    if not text or not _has_candidates(text):
        return text
    original = text
    normalised = text.translate(_FULLWIDTH)
    for pattern, mask in ((_EMAIL, _mask_email), (_ID18, _mask_id), (_ID18_GROUPED, _mask_id),
                          (_ID15, _mask_id), (_CARD, _mask_card), (_PHONE, _mask_phone)):
        normalised, original = _sub_on(normalised, original, pattern, mask)
    # Mobiles in Chinese numerals (一三八一二三四五六七八): matched on a numeral reading.
    spoken = normalised.translate(_CHINESE_DIGITS)
    if spoken != normalised:
        _, original = _sub_on(spoken, original, _PHONE, _mask_phone)
    return original


def mask_name(name: str) -> str:
    """A name as shown back to the citizen in a stored reply: the first character of each word,
    the rest starred (张伟明 → 张**, Li Wei → L* W**)."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


def redact(value: Any) -> Any:
    """Redact every string inside a JSON-like structure (event dicts, parse data, slot values)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
