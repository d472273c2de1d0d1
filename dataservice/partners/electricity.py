"""Electricity bills from the (sample) State Grid Shanghai company: metered monthly, in kWh."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from dataservice.partners import Partner, utility

PARTNER = Partner(id="sgcc-shanghai-sample", kind="electricity",
                  name_zh="国网上海电力（示例）", name_en="State Grid Shanghai Electric Power (sample)")
SPEC = utility.UtilitySpec(partner=PARTNER, unit="kWh", unit_price_cny=Decimal("0.617"),
                           cycle_months=1, seed_file="electricity.yaml")


def seed(session: Session, ctx) -> int:
    return utility.seed_accounts(session, ctx, SPEC)


def lookup(session: Session, pepper: str, account_no: str, factor: str, lang: str):
    return utility.lookup(session, SPEC, pepper, account_no, factor, lang)
