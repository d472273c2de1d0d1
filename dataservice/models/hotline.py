"""12345 hotline tickets (city problems reported by citizens)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dataservice.models.base import Base, UTCDateTime, utcnow


class Ticket(Base):
    __tablename__ = "tickets"

    ticket_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    issue_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(256))
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    status: Mapped[str] = mapped_column(String(32), default="received")
    history: Mapped[list] = mapped_column(default=list)
    contact_phone_masked: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="zh")
    # Work-order fields (null on tickets filed before the taxonomy, or by clients that omit them).
    message_type: Mapped[str | None] = mapped_column(ForeignKey("work_order_message_types.code"),
                                                     nullable=True)
    category_code: Mapped[str | None] = mapped_column(ForeignKey("work_order_categories.code"),
                                                      nullable=True)
    road: Mapped[str | None] = mapped_column(String(256), nullable=True)
    landmark: Mapped[str | None] = mapped_column(String(256), nullable=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
