"""Progress of an application, for the applicant only: verified by the phone's last four digits."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from sqlalchemy.orm import Session

from dataservice.api.deps import Lang, LangQuery, get_session, json_response
from dataservice.api.personal import personal_data
from dataservice.api.responses import BODY_ROUTE, VERIFIED_LOOKUP
from dataservice.errors import ApiError
from dataservice.repositories import applications as repo
from dataservice.repositories.audit import record_lookup
from dataservice.security import require_api_key

router = APIRouter(prefix="/applications", tags=["applications"])

def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _normalize(value):
    return "".join(value.split()).upper() if isinstance(value, str) else value


class ApplicationLookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Citizens type "sh2026..." or add spaces; normalised before the pattern is checked.
    application_no: Annotated[str, BeforeValidator(_normalize),
                              StringConstraints(pattern=repo.APPLICATION_NO_PATTERN)]
    # ASCII digits only: a Unicode \d would also accept full-width and other scripts' digits.
    phone_last4: Annotated[str, BeforeValidator(_strip), StringConstraints(pattern=r"^[0-9]{4}$")]


@router.post("/lookup", responses=BODY_ROUTE | VERIFIED_LOOKUP)
@personal_data
def lookup_application(body: ApplicationLookupIn, request: Request, lang: Lang = LangQuery,
                       client: str = Depends(require_api_key),
                       session: Session = Depends(get_session)):
    with request.app.state.limiter.attempt("application", body.application_no) as attempt, \
            session.begin():
        outcome, application = repo.verified_lookup(
            session, request.app.state.settings.pepper, body.application_no, body.phone_last4)
        record_lookup(session, client=client, action="application.lookup",
                      record_ref=body.application_no, outcome=outcome)
        answer = None
        if application is not None:
            attempt.verified()
            answer = repo.render(session, application, lang)
    if answer is None:
        # One answer for "no such number" and "wrong factor": existence is not revealed.
        raise ApiError(404, "not_found", "No application matches this number and phone.")
    return json_response(answer)
