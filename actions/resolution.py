"""Turning what a citizen typed into catalogue codes, through the data service's resolvers."""
from __future__ import annotations

from dataclasses import dataclass, field

from actions.api.gateway import DataServiceGateway

# A confident top match must also stand clearly above the runner-up to be taken without asking.
MARGIN = 8.0
# A whole message is about a catalogue service when one of that service's names occurs in it and
# covers more than a third of what it says (the resolver scores 70 for an exact name plus 30 x the
# share covered): 「外地的驾驶证可以在上海换证吗」 (88), 「想问一下 公租房 怎么申请 我在浦东工作」 (83) and
# "Can I swap my driving licence from another province for a Shanghai one?" (82) are; a long
# complaint that names a service in passing is not.
SERVICE_IS_THE_SUBJECT = 80.0


@dataclass
class Resolution:
    code: str | None = None
    options: list[dict] = field(default_factory=list)  # [{"code", "name"}] when ambiguous


async def resolve(gateway: DataServiceGateway, kind: str, text: str, lang: str,
                  above: float | None = None) -> Resolution:
    """kind is "services" or "districts". A match counts when the resolver is confident of it, or
    with `above` when its score is higher than that (a stricter bar for whole sentences)."""
    text = (text or "").strip()[:200]
    if not text:
        return Resolution()
    resolver = gateway.resolve_service if kind == "services" else gateway.resolve_district
    matches = await resolver(text, lang)
    confident = [m for m in matches if (m.confident if above is None else m.score > above)]
    if not confident:
        return Resolution()
    top = confident[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    if len(confident) == 1 or top.score - runner_up >= MARGIN:
        return Resolution(code=top.code)
    return Resolution(options=[{"code": m.code, "name": m.name} for m in confident[:4]])


async def service_the_message_is_about(gateway: DataServiceGateway, text: str, lang: str) -> str | None:
    """The one catalogue service a whole message is mostly about (where the NLU marked no span)."""
    return (await resolve(gateway, "services", text, lang, above=SERVICE_IS_THE_SUBJECT)).code
