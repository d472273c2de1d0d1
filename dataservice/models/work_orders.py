"""The 12345 work-order taxonomy: two-level categories and message types (seeded from YAML)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from dataservice.models.base import Base


class WorkOrderCategory(Base):
    __tablename__ = "work_order_categories"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("work_order_categories.code"),
                                                    nullable=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    department_zh: Mapped[str] = mapped_column(String(64))
    department_en: Mapped[str] = mapped_column(String(160))
    response_working_days: Mapped[int] = mapped_column(SmallInteger)
    position: Mapped[int] = mapped_column(SmallInteger)


class MessageType(Base):
    __tablename__ = "work_order_message_types"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(16))
    name_en: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(SmallInteger)
