"""Applications in progress, and the audit log of every lookup of personal records."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dataservice.models.base import Base, UTCDateTime, utcnow


class Application(Base):
    __tablename__ = "applications"

    application_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"))
    center_id: Mapped[str | None] = mapped_column(ForeignKey("centers.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    # [{"status": ..., "at": iso8601, "note_zh": ..., "note_en": ...}]
    history: Mapped[list] = mapped_column(default=list)
    applicant_name_masked: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(32))
    verify_digest: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expected_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note_zh: Mapped[str] = mapped_column(Text, default="")
    note_en: Mapped[str] = mapped_column(Text, default="")


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    client: Mapped[str] = mapped_column(String(64))  # API client id, never the key itself
    action: Mapped[str] = mapped_column(String(64))
    record_ref: Mapped[str] = mapped_column(String(128))
    outcome: Mapped[str] = mapped_column(String(32))
