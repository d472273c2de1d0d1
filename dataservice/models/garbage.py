"""Shanghai household waste sorting guide."""
from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dataservice.models.base import Base


class GarbageItem(Base):
    __tablename__ = "garbage_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(128))
    aliases: Mapped[list] = mapped_column(default=list)
    category: Mapped[str] = mapped_column(String(16))  # dry | wet | recyclable | hazardous
    tip_zh: Mapped[str] = mapped_column(Text, default="")
    tip_en: Mapped[str] = mapped_column(Text, default="")
