"""Gas bills from the (sample) Shanghai gas company: metered every two months, in m³."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from dataservice.partners import Partner, utility

PARTNER = Partner(id="sh-gas-sample", kind="gas",
                  name_zh="上海燃气（示例）", name_en="Shanghai Gas (sample)")
SPEC = utility.UtilitySpec(partner=PARTNER, unit="m³", unit_price_cny=Decimal("3.00"),
                           cycle_months=2, seed_file="gas.yaml")


def seed(session: Session, ctx) -> int:
    return utility.seed_accounts(session, ctx, SPEC)


def lookup(session: Session, pepper: str, account_no: str, factor: str, lang: str):
    return utility.lookup(session, SPEC, pepper, account_no, factor, lang)
