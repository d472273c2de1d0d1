"""Public transport card balance and recent trips (enterprise partner data)."""
from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request

from dataservice.api.deps import cached_json
from dataservice.api.params import Lang, LangQuery
from dataservice.api.responses import errors
from dataservice.errors import ApiError
from dataservice.partners import transport_card

router = APIRouter(prefix="/transport-cards", tags=["partners"])


@router.get("/{card_no}", responses=errors(404))
async def get_card(request: Request, card_no: Annotated[str, Path(max_length=40)],
                   lang: Lang = LangQuery):
    normalized = transport_card.normalize_card_no(card_no)
    if not re.fullmatch(transport_card.CARD_NO_PATTERN, normalized):
        raise ApiError(422, "invalid_card_no", "A transport card number has 11 digits.")

    def load(session):
        card = transport_card.get_card(session, normalized, lang)
        if card is None:
            raise ApiError(404, "not_found", "No transport card with this number.")
        return card

    # Like the card readers in stations, the balance needs only the card number; it is cached
    # briefly (the provenance says how old the data is).
    return await cached_json(request, "partners", f"card:{normalized}:{lang}", load)
