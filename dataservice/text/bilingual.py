"""Picking the Chinese or English variant of a bilingual field (`name_zh` / `name_en`)."""
from __future__ import annotations


def localized(obj, field: str, lang: str):
    """`obj.<field>_zh` for Chinese, else `obj.<field>_en`; works on rows, dataclasses and mapped columns."""
    return getattr(obj, f"{field}_zh" if lang == "zh" else f"{field}_en")
