"""The data-element registry as stored: the built-ins seeded at init, plus local elements."""

from __future__ import annotations

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huitong.db.base import Base


class DataElementRow(Base):
    """数据元: a standard field definition that data items map to."""

    __tablename__ = "data_element"
    identifier: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(2))
    length: Mapped[int | None]
    value_domain: Mapped[dict | None] = mapped_column(JSON)
    pattern: Mapped[str | None] = mapped_column(String(200))
    validator: Mapped[str | None] = mapped_column(String(40))
    default_grade: Mapped[str] = mapped_column(String(16))
    mask_rule: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(default=False)
