"""Applications in progress: verified lookup and the citizen-facing rendering of one record."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from dataservice.models import Application, Center, Service
from dataservice.security import factor_matches
from dataservice.text.bilingual import localized

STATUSES: dict[str, tuple[str, str]] = {
    "submitted": ("已提交", "Submitted"),
    "under_review": ("审核中", "Under review"),
    "need_more_documents": ("需补充材料", "More documents needed"),
    "approved": ("已核准", "Approved"),
    "ready_for_pickup": ("待领取", "Ready for collection"),
    "completed": ("已办结", "Completed"),
    "rejected": ("未予批准", "Not approved"),
}
APPLICATION_NO_PATTERN = r"^SH[0-9]{13}$"
# Compared against when the number does not exist, so a miss costs the same HMAC as a hit.
_DUMMY_DIGEST = "0" * 64


def verified_lookup(session: Session, pepper: str, application_no: str,
                    phone_last4: str) -> tuple[str, Application | None]:
    """(outcome, record): outcome is found, not_found or verification_failed."""
    application = session.get(Application, application_no)
    if application is None:
        factor_matches(pepper, application_no, phone_last4, _DUMMY_DIGEST)
        return "not_found", None
    if not factor_matches(pepper, application_no, phone_last4, application.verify_digest):
        return "verification_failed", None
    return "found", application


def render(session: Session, application: Application, lang: str) -> dict:
    zh = lang == "zh"
    service = session.get(Service, application.service_code)
    center = session.get(Center, application.center_id) if application.center_id else None
    label = STATUSES.get(application.status, (application.status, application.status))
    return {
        "application_no": application.application_no,
        "status": {"code": application.status, "label": label[0 if zh else 1]},
        "service": {"code": application.service_code,
                    "name": localized(service, "name", lang) if service else None},
        "center": None if center is None else {
            "id": center.id,
            "name": localized(center, "name", lang),
            "address": localized(center, "address", lang),
            "phone": center.phone,
        },
        "applicant_name_masked": application.applicant_name_masked,
        "phone_masked": application.phone_masked,
        "submitted_at": _iso(application.submitted_at),
        "updated_at": _iso(application.updated_at),
        "expected_done_at": _iso(application.expected_done_at),
        "note": localized(application, "note", lang),
        "history": [
            {"status": h["status"],
             "status_label": STATUSES.get(h["status"], (h["status"], h["status"]))[0 if zh else 1],
             "at": h["at"],
             "note": h.get("note_zh" if zh else "note_en", "")}
            for h in application.history
        ],
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    # SQLite returns naive datetimes; everything is stored in UTC.
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
