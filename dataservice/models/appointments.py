"""Appointment slots with a capacity, bookings, and stored idempotent responses."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dataservice.models.base import Base, UTCDateTime, utcnow


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("center_id", "service_code", "day", "start_time", name="uq_slots_natural"),
        # The database itself refuses an overbooking, whatever the code above it does.
        CheckConstraint("booked >= 0 AND booked <= capacity", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[str] = mapped_column(ForeignKey("centers.id"), index=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"))
    day: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_no: Mapped[str] = mapped_column(String(32), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    name_masked: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(32))
    # HMAC of the phone's last four digits: the verification factor, never stored in the clear.
    verify_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(default=dict)
    # Indexed: expired records are purged by age (dataservice/repositories/idempotency.py).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
