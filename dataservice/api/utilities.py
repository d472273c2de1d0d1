"""Utility bills (water, electricity, gas) from enterprise partners, behind a verification
factor."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, StringConstraints

from dataservice.api.deps import ClientId, json_response
from dataservice.api.params import Lang, LangQuery
from dataservice.api.personal import personal_data
from dataservice.api.responses import BODY_ROUTE, VERIFIED_LOOKUP
from dataservice.partners.registry import utility_adapter
from dataservice.verification import Lookup

router = APIRouter(prefix="/utilities", tags=["partners"])


class BillLookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["water", "electricity", "gas"]
    account_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6,20}$")]
    # Last four digits of the phone registered with the utility.
    verification: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}$")]


@router.post("/bills/lookup", responses=BODY_ROUTE | VERIFIED_LOOKUP)
@personal_data
async def lookup_bills(body: BillLookupIn, request: Request, lang: Lang = LangQuery,
                       client: str = ClientId):
    adapter, pepper = utility_adapter(body.kind), request.app.state.settings.pepper
    # The adapter renders the answer as it verifies: `then` only hands it on.
    answer = await request.app.state.verifier.answer(
        Lookup(scope="utility", action="utility.lookup",
               record_ref=f"{body.kind}:{body.account_no}", client=client,
               not_found="No account matches this number and verification."),
        find=lambda s: adapter.lookup(s, pepper, body.account_no, body.verification, lang),
        then=lambda _s, rendered: rendered)
    return json_response(answer)
