"""What a channel tells a citizen when it cannot pass the message on: always both languages (the
channel cannot know the citizen's language before the assistant has read the message) and, where
the service itself is at fault, the 12345 hotline."""
from __future__ import annotations

import math

UNAVAILABLE = ("抱歉，服务暂时繁忙，请稍后再试，或拨打 12345 市民服务热线。\n"
               "Sorry, the service is busy right now. Please try again later or call the 12345 hotline.")


def too_long(limit: int) -> str:
    return (f"抱歉，消息太长了（最多 {limit} 个字）。请分几条简短地发送。\n"
            f"Sorry, that message is too long (at most {limit} characters). "
            "Please send it in shorter parts.")


def too_many(wait_seconds: float) -> str:
    wait = max(1, math.ceil(wait_seconds))
    return (f"您发送得太快了，请 {wait} 秒后再试。\n"
            f"You are sending messages too quickly; please try again in {wait} s.")


UNREADABLE = ("抱歉，这条消息无法识别，请换个说法再试。\n"
              "Sorry, that message could not be read. Please rephrase it.")
