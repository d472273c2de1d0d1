"""The city's service catalogue and its districts (government source)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dataservice.models.base import Base


class District(Base):
    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    aliases: Mapped[list] = mapped_column(default=list)


class Service(Base):
    __tablename__ = "services"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256))
    # Mixed zh/en colloquial names, abbreviations, common typos; the resolver matches on these.
    aliases: Mapped[list] = mapped_column(default=list)
    department_zh: Mapped[str] = mapped_column(String(128))
    department_en: Mapped[str] = mapped_column(String(256))
    eligibility_zh: Mapped[str] = mapped_column(Text)
    eligibility_en: Mapped[str] = mapped_column(Text)
    documents_zh: Mapped[list] = mapped_column(default=list)
    documents_en: Mapped[list] = mapped_column(default=list)
    fee_zh: Mapped[str] = mapped_column(Text)
    fee_en: Mapped[str] = mapped_column(Text)
    fee_cny: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    processing_time_zh: Mapped[str] = mapped_column(Text)
    processing_time_en: Mapped[str] = mapped_column(Text)
    processing_days_max: Mapped[int | None] = mapped_column(nullable=True)
    online_zh: Mapped[str] = mapped_column(Text)
    online_en: Mapped[str] = mapped_column(Text)
    online_url: Mapped[str | None] = mapped_column(String(512), nullable=True)
