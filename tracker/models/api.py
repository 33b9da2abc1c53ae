"""What the JSON API keeps for itself: the answers to writes sent with an
``Idempotency-Key``, so that a program that sends the same write again (its connection
dropped before the answer came) gets the first answer instead of a second write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, utcnow


class IdempotentRequest(Base):
    """One write sent with an ``Idempotency-Key``: who sent it, what it was (the method,
    the path and a SHA-256 of the body), and the answer it got (its status and JSON
    body). The row is written in the same transaction as the write itself: a write that
    was refused or rolled back leaves none, and may be sent again with the same key."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_api_idempotency_user_key"),)
    # A cache of answers, not a change people make: the write itself is audited.
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2000))
    digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
