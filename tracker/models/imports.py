"""Files imported: one row per file that went in, so that the same file is not
imported twice (``tracker.services.imports``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, sql_in, utcnow
from tracker.domain.imports import ImportKind


class Import(Base):
    """A file imported: its kind, the SHA-256 of its bytes (the same file of the same
    kind goes in once), who imported it and when, its rows and what it made."""

    __tablename__ = "imports"
    __table_args__ = (
        UniqueConstraint("kind", "digest"),
        CheckConstraint(f"kind IN {sql_in(ImportKind)}", "kind_known"),
        CheckConstraint("rows >= 0", "rows_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    # What it made: {"sales": 120, "documents": [first id, last id], ...}
    made: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<Import {self.id} {self.kind} {self.digest[:12]}>"
