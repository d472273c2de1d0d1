"""The citizens' conversations the assistant benchmark replays (mixed Chinese and English).

Every script is what a citizen plausibly types in one visit; most turns reach the data service
(catalogue answers, centres and today's hours, garbage sorting, the 12345 ticket form). The same
scripts go to the stock Rasa assistant, which answers them with its own (mood bot) replies: the
load generator, the messages and their lengths are identical for both systems.
"""
from __future__ import annotations

SCRIPTS: list[list[str]] = [
    ["你好", "居住证要带什么材料？", "要多久能拿到", "浦东的社区事务受理中心周六开门吗", "谢谢"],
    ["hi", "how long does a Shanghai residence permit take", "how much does it cost",
     "where can I apply in Xuhui", "thanks, bye"],
    ["电池是什么垃圾", "外卖盒呢", "好的谢谢"],
    ["what kind of garbage is a banana peel", "and a paper cup?", "thank you"],
    ["护照办理费用多少", "办理时间呢", "静安哪里可以办", "拜拜"],
    ["can I pay my 电费 online?", "what documents do I need for a passport", "which centre in Pudong",
     "are they open today"],
    ["路灯坏了我要投诉", "算了", "社保卡补办要什么材料"],
    ["I want to report a broken street light", "never mind", "what can you do"],
]

# One long conversation (turn 1 vs turn 200): a fixed cycle, so the messages at turns 1-10 and
# 191-200 are the same ones and only the conversation's length differs.
LONG_CYCLE: list[str] = [
    "居住证要带什么材料？", "how much does a passport cost", "电池是什么垃圾",
    "浦东的社区事务受理中心几点开门", "what kind of garbage is a banana peel", "护照办理要多久",
    "where can I get a residence permit in Xuhui", "谢谢", "hi", "社保卡补办要什么材料",
]


def long_conversation(turns: int) -> list[str]:
    return [LONG_CYCLE[i % len(LONG_CYCLE)] for i in range(turns)]
