"""Service centres (community affairs centres and specialised halls) and what they handle."""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dataservice.models.base import Base


class Center(Base):
    __tablename__ = "centers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(256))
    address_zh: Mapped[str] = mapped_column(String(256))
    address_en: Mapped[str] = mapped_column(String(512))
    phone: Mapped[str] = mapped_column(String(32))
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    # {"mon": [["09:00", "17:00"]], ..., "sun": []}; statutory holidays override it.
    weekly_hours: Mapped[dict] = mapped_column(default=dict)
    services: Mapped[list["CenterService"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class CenterService(Base):
    __tablename__ = "center_services"

    center_id: Mapped[str] = mapped_column(ForeignKey("centers.id"), primary_key=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"), primary_key=True, index=True)
