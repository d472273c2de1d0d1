"""Progress of an application, for the applicant only: verified by the phone's last four digits."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from dataservice.api.deps import ClientId, json_response
from dataservice.api.params import Lang, LangQuery
from dataservice.api.personal import personal_data
from dataservice.api.responses import BODY_ROUTE, VERIFIED_LOOKUP
from dataservice.repositories import applications as repo
from dataservice.verification import Lookup

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
async def lookup_application(body: ApplicationLookupIn, request: Request, lang: Lang = LangQuery,
                             client: str = ClientId):
    pepper = request.app.state.settings.pepper
    answer = await request.app.state.verifier.answer(
        Lookup(scope="application", action="application.lookup", record_ref=body.application_no,
               client=client, not_found="No application matches this number and phone."),
        find=lambda s: repo.verified_lookup(s, pepper, body.application_no, body.phone_last4),
        then=lambda s, application: repo.render(s, application, lang))
    return json_response(answer)
