"""Water bills from the (sample) Shanghai water company: metered every two months, in m³."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from dataservice.partners import Partner, utility

PARTNER = Partner(id="sh-water-sample", kind="water",
                  name_zh="上海城投水务（示例）", name_en="Shanghai Water (sample)")
SPEC = utility.UtilitySpec(partner=PARTNER, unit="m³", unit_price_cny=Decimal("3.45"),
                           cycle_months=2, seed_file="water.yaml")


def seed(session: Session, ctx) -> int:
    return utility.seed_accounts(session, ctx, SPEC)


def lookup(session: Session, pepper: str, account_no: str, factor: str, lang: str):
    return utility.lookup(session, SPEC, pepper, account_no, factor, lang)
