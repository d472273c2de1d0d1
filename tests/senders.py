"""Conversation ids for tests: random, and never holding what looks like a phone or ID number.

The integrator webhook refuses a sender with a phone or ID number in it (bot/channels/inputs.py), and
a random 32-digit hex id now and then holds a run of digits that reads as a mobile number
("…17901105383"). These ids have letters where the hex has digits.
"""
from __future__ import annotations

import uuid

_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")


def new_sender(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex.translate(_NO_DIGITS)
