"""Shanghai public transport card (sample partner): balance, card status and recent trips."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

import yaml
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dataservice.models import TransportCard, TransportTrip
from dataservice.models.base import utcnow
from dataservice.partners import SEED_DIR, Partner, provenance

PARTNER = Partner(id="sptc-sample", kind="transport_card",
                  name_zh="上海公共交通卡（示例）", name_en="Shanghai Public Transport Card (sample)")
# Printed card numbers are 11 digits; people type them with spaces or dashes.
CARD_NO_PATTERN = r"^[0-9]{11}$"
RECENT_TRIPS = 10
SHANGHAI = timezone(timedelta(hours=8))

CARD_STATUSES = {"active": ("正常", "Active"), "lost": ("已挂失", "Reported lost"),
                 "expired": ("已过期", "Expired")}
MODES = {"metro": ("地铁", "Metro"), "bus": ("公交", "Bus"), "ferry": ("轮渡", "Ferry")}


def normalize_card_no(raw: str) -> str:
    return "".join(ch for ch in raw.strip() if ch not in " -")


def seed(session: Session, ctx) -> int:
    with (SEED_DIR / "transport_card.yaml").open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    lines, stations = data["lines"], data["stations"]
    as_of = utcnow().replace(microsecond=0)
    for card in data["cards"]:
        card_no = str(card["card_no"])
        session.merge(TransportCard(card_no=card_no, partner=PARTNER.id,
                                    balance_cny=Decimal(str(card["balance"])),
                                    status=card["status"], as_of=as_of))
        session.flush()
        # Trips are laid out relative to the seeding day: replace them as a whole.
        session.execute(delete(TransportTrip).where(TransportTrip.card_no == card_no))
        for trip in card["trips"]:
            day = ctx.today - timedelta(days=trip["days_ago"])
            at = datetime.combine(day, time.fromisoformat(trip["time"]), SHANGHAI)
            line = lines[trip["line"]]
            entry, exit_ = trip.get("entry"), trip.get("exit")
            session.add(TransportTrip(
                card_no=card_no, at=at.astimezone(timezone.utc), mode=trip["mode"],
                line_zh=line["zh"], line_en=line["en"],
                entry_zh=entry, entry_en=stations[entry] if entry else None,
                exit_zh=exit_, exit_en=stations[exit_] if exit_ else None,
                fare_cny=Decimal(str(trip["fare"])),
            ))
    return len(data["cards"])


def get_card(session: Session, card_no: str, lang: str) -> dict | None:
    card = session.get(TransportCard, card_no)
    if card is None:
        return None
    zh = lang == "zh"
    trips = session.scalars(
        select(TransportTrip).where(TransportTrip.card_no == card_no)
        .order_by(TransportTrip.at.desc(), TransportTrip.id.desc()).limit(RECENT_TRIPS)
    ).all()
    return {
        "card_no": card.card_no,
        "balance_cny": card.balance_cny,
        "currency": "CNY",
        "status": card.status,
        "status_label": CARD_STATUSES.get(card.status, (card.status, card.status))[0 if zh else 1],
        # Day, mode and fare only: times, lines and stations are a travel history, and a card
        # number alone (seen on a photo, a lost card) proves nothing about who travels with it.
        "trips": [{
            "date": _aware(t.at).astimezone(SHANGHAI).date().isoformat(),
            "mode": t.mode,
            "mode_label": MODES.get(t.mode, (t.mode, t.mode))[0 if zh else 1],
            "fare_cny": t.fare_cny,
        } for t in trips],
        **provenance(PARTNER, lang, card.as_of),
    }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
