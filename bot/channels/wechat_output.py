"""What the assistant says, as WeChat can show it: one text of at most 2048 UTF-8 bytes per
message, and no buttons (they become options answered by number).

`WeChatOutput` is the Rasa output channel a WeChat message is handled with: like Twilio Voice's,
it collects the turn's messages, and `reply()` renders them as one text once the turn is done.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.core.channels.channel import CollectingOutputChannel

TEXT_LIMIT = 2048  # bytes of UTF-8 per text message (passive reply and customer-service API)

# A numbered line in an answer's text ("1. 徐汇区…", "2、…", "3) …"); not "1.5 公里" or "12345".
_NUMBERED_LINE = re.compile(r"^([ \t]*)\d{1,2}(?:[.)．][ \t]+|、[ \t]*)", re.M)


def split_text(text: str, limit: int = TEXT_LIMIT) -> List[str]:
    """Chunks of at most `limit` UTF-8 bytes, cut at paragraph, then line, then character."""
    text = (text or "").strip()
    if not text:
        return []
    chunks: List[str] = []
    current = ""
    for piece in re.split(r"(\n\n|\n)", text):
        candidate = current + piece
        if len(candidate.encode("utf-8")) <= limit:
            current = candidate
            continue
        if current.strip():
            chunks.append(current.strip())
        current = ""
        if len(piece.encode("utf-8")) <= limit:
            current = piece
            continue
        buf = ""
        for ch in piece:
            if len((buf + ch).encode("utf-8")) > limit:
                chunks.append(buf)
                buf = ""
            buf += ch
        current = buf
    if current.strip():
        chunks.append(current.strip())
    return chunks


def render_messages(messages: List[Dict[str, Any]]) -> tuple:
    """Bot messages → (one text, button payloads in option order).

    WeChat has no buttons: they become options the citizen answers by number, each under its own
    message and numbered once across the whole reply. A reply with options has one numbering only,
    the options': numbered lines in its text (a list of centres, steps) become bullets, so "2" can
    mean one thing. A reply without options keeps its text as it is (a number typed next is sent
    as text)."""
    has_options = any(m.get("buttons") for m in messages)
    parts: List[str] = []
    payloads: List[str] = []
    for m in messages:
        lines = []
        if m.get("text"):
            lines.append(_NUMBERED_LINE.sub(r"\1• ", m["text"]) if has_options else m["text"])
        for b in m.get("buttons") or []:
            payloads.append(b.get("payload") or b.get("title") or "")
            lines.append(f"{len(payloads)}. {b.get('title') or b.get('payload')}")
        if m.get("image"):
            lines.append(m["image"])
        if m.get("attachment"):
            lines.append(str(m["attachment"]))
        custom = m.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            lines.append(custom["text"])
        if lines:
            parts.append("\n".join(lines))
    return "\n\n".join(parts), payloads


class WeChatOutput(CollectingOutputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    def reply(self) -> tuple:
        """(the turn's text, the payloads of its numbered options)."""
        return render_messages(self.messages)
