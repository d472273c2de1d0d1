"""Filing a 12345 ticket from the agent desk (the data service's `POST /v1/tickets`)."""
from __future__ import annotations

import logging
from typing import Any

import httpx

logger = logging.getLogger(__name__)
FIELDS = ("description", "location", "district", "contact_phone")


class TicketRefused(Exception):
    """The data service refused the ticket (its message says why) or did not answer."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key)
        self.key, self.detail = key, detail


def file_ticket(client: httpx.Client, form: dict[str, Any], language: str) -> str:
    """The new ticket's number."""
    body = {k: str(form[k]).strip() for k in FIELDS if str(form.get(k) or "").strip()}
    body.update(language=language, channel="agent_desk")
    try:
        response = client.post("/v1/tickets", json=body)
    except httpx.HTTPError as exc:
        logger.warning("ticket not filed: data service unreachable (%s)", type(exc).__name__)
        raise TicketRefused("ticket_unavailable") from exc
    if response.status_code in (400, 409, 422):
        try:
            detail = str(response.json().get("error", {}).get("message", ""))[:300]
        except ValueError:
            detail = ""
        raise TicketRefused("ticket_invalid", detail)
    if response.status_code >= 300:
        raise TicketRefused("ticket_unavailable")
    return str(response.json().get("ticket_no"))
