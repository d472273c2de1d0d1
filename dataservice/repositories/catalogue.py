"""The service catalogue and the districts: lists, one service's details, resolver rows.

Functions take the session and never commit."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dataservice.errors import ApiError
from dataservice.models import CenterService, District, Service
from dataservice.text.bilingual import localized


def list_services(session: Session, lang: str) -> dict:
    rows = session.scalars(select(Service).order_by(Service.code))
    return {"items": [{"code": s.code, "name": localized(s, "name", lang)} for s in rows]}


def service_detail(session: Session, code: str, lang: str) -> dict:
    s = session.get(Service, code)
    if s is None:
        raise ApiError(404, "unknown_service", f"No service with code {code!r}.")
    centers = session.scalars(select(CenterService.center_id)
                              .where(CenterService.service_code == code)
                              .order_by(CenterService.center_id)).all()

    def t(field: str):
        return localized(s, field, lang)

    return {
        "code": s.code, "name": t("name"), "department": t("department"),
        "eligibility": t("eligibility"), "documents": list(t("documents")),
        "fee": t("fee"), "fee_cny": float(s.fee_cny) if s.fee_cny is not None else None,
        "processing_time": t("processing_time"), "processing_days_max": s.processing_days_max,
        "online": t("online"), "online_url": s.online_url, "centers": list(centers),
    }


def service_resolver_rows(session: Session):
    # The code itself is an alias too: bot buttons send it back as the entity value.
    return [(code, zh, en, [code, *aliases]) for code, zh, en, aliases in session.execute(
        select(Service.code, Service.name_zh, Service.name_en, Service.aliases))]


def list_districts(session: Session, lang: str) -> dict:
    rows = session.scalars(select(District).order_by(District.code))
    return {"items": [{"code": d.code, "name": localized(d, "name", lang)} for d in rows]}


def district_rows(session: Session) -> list[tuple[str, str, str, list]]:
    """(code, name_zh, name_en, aliases) of every district."""
    return [tuple(row) for row in session.execute(
        select(District.code, District.name_zh, District.name_en, District.aliases))]


def district_resolver_rows(session: Session):
    # The code itself ("pudong") is a fine alias too.
    return [(code, zh, en, [code, *aliases]) for code, zh, en, aliases in district_rows(session)]
