"""What the water, electricity and gas adapters share: one account/bill shape, seeding and lookup.

Each utility partner differs only in identity, unit, sample tariff and billing cycle (water and gas
are read every two months in Shanghai, electricity every month).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dataservice.models import UtilityAccount, UtilityBill
from dataservice.models.base import utcnow
from dataservice.partners import SEED_DIR, Partner, provenance
from dataservice.security import factor_matches, mask_name, verification_digest

SHANGHAI = timezone(timedelta(hours=8))
LATEST_BILLS = 6
# Compared against when the account does not exist, so a miss costs the same HMAC as a hit.
_DUMMY_DIGEST = "0" * 64

KINDS = {"water": ("水费", "Water"), "electricity": ("电费", "Electricity"), "gas": ("燃气费", "Gas")}
BILL_STATUSES = {"paid": ("已缴费", "Paid"), "unpaid": ("待缴费", "Unpaid"),
                 "overdue": ("已逾期", "Overdue")}


@dataclass(frozen=True)
class UtilitySpec:
    partner: Partner
    unit: str
    unit_price_cny: Decimal  # flat sample tariff, first tier
    cycle_months: int
    seed_file: str


def mask_address(address: str) -> str:
    """Keep the district and road, hide house, lane and room numbers."""
    return re.sub(r"[0-9]", "*", address)


# Bills are laid out relative to the seeding day, not to a fixed day of the month, so the sample
# reads the same whatever the date: the newest bill is always issued recently and not yet due, and an
# older unpaid bill is always past its due date (for a month after seeding).
NEWEST_ISSUED_DAYS_AGO = 10
DAYS_TO_PAY = 30


def _months_back(day: date, months: int) -> date:
    """The same day `months` earlier (clamped to the 28th so every month has it)."""
    index = day.year * 12 + (day.month - 1) - months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def bill_periods(today: date, cycle_months: int, count: int) -> list[tuple[str, date]]:
    """(period YYYY-MM, due date) of the latest `count` bills, newest first.

    A bill covers the cycle ending with the month before it is issued and is due DAYS_TO_PAY later.
    """
    newest_issue = today - timedelta(days=NEWEST_ISSUED_DAYS_AGO)
    out = []
    for i in range(count):
        issued = _months_back(newest_issue, i * cycle_months)
        period = _months_back(issued, 1)
        out.append((f"{period:%Y-%m}", issued + timedelta(days=DAYS_TO_PAY)))
    return out


def seed_accounts(session: Session, ctx, spec: UtilitySpec) -> int:
    with (SEED_DIR / spec.seed_file).open(encoding="utf-8") as fh:
        rows = yaml.safe_load(fh)["accounts"]
    as_of = utcnow().replace(microsecond=0)
    for row in rows:
        account_no = str(row["account_no"])
        last4 = str(row["phone"])[-4:]
        session.merge(UtilityAccount(
            account_no=account_no, kind=spec.partner.kind, partner=spec.partner.id,
            holder_masked=mask_name(row["holder"]),
            address_masked=mask_address(row["address_zh"]),
            address_masked_en=mask_address(row["address_en"]),
            verify_digest=verification_digest(ctx.pepper, account_no, last4),
            as_of=as_of,
        ))
        session.flush()
        # Bills are a snapshot relative to the seeding day: replace them as a whole.
        session.execute(delete(UtilityBill).where(UtilityBill.account_no == account_no))
        periods = bill_periods(ctx.today, spec.cycle_months, len(row["bills"]))
        for (period, due), bill in zip(periods, row["bills"]):
            usage = Decimal(str(bill["usage"]))
            amount = (usage * spec.unit_price_cny).quantize(Decimal("0.01"), ROUND_HALF_UP)
            session.add(UtilityBill(account_no=account_no, period=period, usage=usage,
                                    unit=spec.unit, amount_cny=amount, due_date=due,
                                    status=bill["status"]))
    return len(rows)


def lookup(session: Session, spec: UtilitySpec, pepper: str, account_no: str, factor: str,
           lang: str) -> tuple[str, dict | None]:
    """(outcome, answer): outcome is found, not_found or verification_failed."""
    account = session.get(UtilityAccount, account_no)
    if account is None or account.kind != spec.partner.kind:
        factor_matches(pepper, account_no, factor, _DUMMY_DIGEST)
        return "not_found", None
    if not factor_matches(pepper, account_no, factor, account.verify_digest):
        return "verification_failed", None
    return "found", render(session, spec, account, lang)


def render(session: Session, spec: UtilitySpec, account: UtilityAccount, lang: str) -> dict:
    zh = lang == "zh"
    today = datetime.now(SHANGHAI).date()
    bills = session.scalars(
        select(UtilityBill).where(UtilityBill.account_no == account.account_no)
        .order_by(UtilityBill.period.desc()).limit(LATEST_BILLS)
    ).all()
    out_bills, unpaid = [], Decimal("0")
    for bill in bills:
        status = bill.status
        if status == "unpaid" and bill.due_date < today:
            status = "overdue"
        if status != "paid":
            unpaid += bill.amount_cny
        out_bills.append({
            "period": bill.period, "usage": bill.usage, "unit": bill.unit,
            "amount_cny": bill.amount_cny, "due_date": bill.due_date.isoformat(),
            "status": status, "status_label": BILL_STATUSES[status][0 if zh else 1],
        })
    kind_zh, kind_en = KINDS[account.kind]
    return {
        "account": {
            "account_no": account.account_no, "kind": account.kind,
            "kind_label": kind_zh if zh else kind_en,
            "holder_masked": account.holder_masked,
            "address_masked": account.address_masked if zh else account.address_masked_en,
        },
        "bills": out_bills,
        "total_unpaid_cny": unpaid,
        "currency": "CNY",
        **provenance(spec.partner, lang, account.as_of),
    }
