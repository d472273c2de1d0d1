"""bot.json_encoding: ujson's JSON, read back as what `json.dumps` writes."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from bot.json_encoding import dumps


@pytest.mark.parametrize("value", [
    {"text": "你好 / hello \\ \"quoted\"", "n": 0.1 + 0.2, "tiny": 1e-7, "none": None, "t": True},
    [1, 2.5, "x", {"nested": [{"a": -1}]}],
])
def test_values_read_back_as_json_dumps_writes_them(value):
    assert json.loads(dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [{"big": 2 ** 70}, {"nan": float("nan")}, {1: "int key"},
                                   {"lone": "\ud800 surrogate"}])
def test_what_ujson_refuses_or_writes_differently_is_encoded_as_rasa_does(value):
    assert dumps(value) == json.dumps(value) or \
        json.loads(dumps(value)) == json.loads(json.dumps(value))


def test_a_value_json_cannot_encode_fails_as_before():
    with pytest.raises(TypeError):
        dumps({"when": datetime(2026, 12, 4)})
