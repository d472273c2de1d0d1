"""Utility bills (water, electricity, gas) from enterprise partners, behind a verification factor."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy.orm import Session

from dataservice.api.deps import Lang, LangQuery, get_session, json_response
from dataservice.api.personal import personal_data
from dataservice.api.responses import BODY_ROUTE, VERIFIED_LOOKUP
from dataservice.errors import ApiError
from dataservice.partners import utility_adapter
from dataservice.repositories.audit import record_lookup
from dataservice.security import require_api_key

router = APIRouter(prefix="/utilities", tags=["partners"])

class BillLookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["water", "electricity", "gas"]
    account_no: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6,20}$")]
    # Last four digits of the phone registered with the utility.
    verification: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{4}$")]


@router.post("/bills/lookup", responses=BODY_ROUTE | VERIFIED_LOOKUP)
@personal_data
def lookup_bills(body: BillLookupIn, request: Request, lang: Lang = LangQuery,
                 client: str = Depends(require_api_key), session: Session = Depends(get_session)):
    adapter = utility_adapter(body.kind)
    ref = f"{body.kind}:{body.account_no}"
    with request.app.state.limiter.attempt("utility", ref) as attempt, session.begin():
        outcome, answer = adapter.lookup(session, request.app.state.settings.pepper,
                                         body.account_no, body.verification, lang)
        record_lookup(session, client=client, action="utility.lookup", record_ref=ref,
                      outcome=outcome)
        if answer is not None:
            attempt.verified()
    if answer is None:
        # Same answer for an unknown account and a wrong factor: existence is not revealed.
        raise ApiError(404, "not_found", "No account matches this number and verification.")
    return json_response(answer)
