"""Enterprise partner data (utilities, transport card), each row tagged with its partner and as-of time."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from dataservice.models.base import Base, UTCDateTime


class UtilityAccount(Base):
    __tablename__ = "utility_accounts"

    account_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # water | electricity | gas
    partner: Mapped[str] = mapped_column(String(64))
    holder_masked: Mapped[str] = mapped_column(String(64))
    address_masked: Mapped[str] = mapped_column(String(256))  # zh
    address_masked_en: Mapped[str] = mapped_column(String(512), default="")
    verify_digest: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)


class UtilityBill(Base):
    __tablename__ = "utility_bills"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(ForeignKey("utility_accounts.account_no"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    usage: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit: Mapped[str] = mapped_column(String(8))
    amount_cny: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # unpaid | paid | overdue


class TransportCard(Base):
    __tablename__ = "transport_cards"

    card_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    balance_cny: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(16))  # active | lost | expired
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)


class TransportTrip(Base):
    __tablename__ = "transport_trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_no: Mapped[str] = mapped_column(ForeignKey("transport_cards.card_no"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(16))  # metro | bus | ferry
    line_zh: Mapped[str] = mapped_column(String(64))
    line_en: Mapped[str] = mapped_column(String(128))
    entry_zh: Mapped[str | None] = mapped_column(String(64), nullable=True)
    entry_en: Mapped[str | None] = mapped_column(String(128), nullable=True)
    exit_zh: Mapped[str | None] = mapped_column(String(64), nullable=True)
    exit_en: Mapped[str | None] = mapped_column(String(128), nullable=True)
    fare_cny: Mapped[Decimal] = mapped_column(Numeric(8, 2))
