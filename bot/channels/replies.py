"""Every text a channel itself says to a citizen (the assistant's own answers live in the domain).

Each is bilingual: in the citizen's language when the channel knows it (an integrator's
`metadata.language`), both languages otherwise (a channel cannot know the language before the
assistant has read the message). Where the service itself is at fault, the 12345 hotline.
"""
from __future__ import annotations

import math
from typing import Optional

from privacy.parsing import HOTLINE, TRY_LATER_OR_CALL

OUTAGE = {
    "zh": "抱歉，服务暂时繁忙，" + TRY_LATER_OR_CALL["zh"],
    "en": "Sorry, the service is busy right now. " + TRY_LATER_OR_CALL["en"],
}
FALLBACK = {
    "zh": f"抱歉，我没能理解这条消息。请换个说法再试一次，或拨打 {HOTLINE['zh']}。",
    "en": f"Sorry, I could not understand that message. Please rephrase it, or call {HOTLINE['en']}.",
}
UNREADABLE_TEXTS = {
    "zh": "抱歉，这条消息无法识别，请换个说法再试。",
    "en": "Sorry, that message could not be read. Please rephrase it.",
}


def in_language(texts: dict[str, str], language: Optional[str] = None) -> str:
    """`texts` in `language`, or Chinese then English when the language is not known."""
    return texts[language] if language in texts else texts["zh"] + "\n" + texts["en"]


UNAVAILABLE = in_language(OUTAGE)
UNREADABLE = in_language(UNREADABLE_TEXTS)


def too_long(limit: int) -> str:
    return (f"抱歉，消息太长了（最多 {limit} 个字）。请分几条简短地发送。\n"
            f"Sorry, that message is too long (at most {limit} characters). "
            "Please send it in shorter parts.")


def too_many(wait_seconds: float) -> str:
    wait = max(1, math.ceil(wait_seconds))
    return (f"您发送得太快了，请 {wait} 秒后再试。\n"
            f"You are sending messages too quickly; please try again in {wait} s.")


# WeChat's own messages: its users follow an account before they ask anything.
WELCOME = (
    "您好，欢迎关注上海政务服务助手！我可以帮您：\n"
    "• 查询办事指南：材料、费用、办理时间\n"
    "• 查找附近的受理中心和办公时间（发送位置即可）\n"
    "• 查询办件进度，预约或取消预约\n"
    "• 12345 诉求反映与进度查询\n"
    "• 水电燃气账单、交通卡、垃圾分类\n"
    "直接输入您的问题，例如“护照要带什么材料？”\n\n"
    "Welcome to the Shanghai public services assistant! I can help with:\n"
    "• service guides: documents, fees, processing times\n"
    "• nearby service centres and opening hours (just send your location)\n"
    "• application status, booking or cancelling appointments\n"
    "• 12345 hotline reports and their status\n"
    "• utility bills, transport cards, garbage sorting\n"
    "Just type your question, e.g. \"what documents do I need for a passport?\""
)
TEXT_ONLY = ("抱歉，我目前只能理解文字和语音消息，请用文字描述您的问题。\n"
             "Sorry, I can only understand text and voice messages for now. Please type your question.")
