"""Links that let a person choose a new password when they have forgotten theirs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow
from tracker.models.accounts import User


class PasswordReset(Base):
    """One link sent by mail to reset an account's password.

    The link carries a random token; only its SHA-256 is kept, so that whoever reads
    this table cannot use a link. A link works once (``used_at``), until ``expires_at``,
    and only while it is the account's newest: asking again makes the older ones
    unusable (``tracker.services.resets``).
    """

    __tablename__ = "password_resets"
    __table_args__ = (
        # The account's links, newest last: the newest one, and how many lately.
        Index("ix_password_resets_user_id_created_at", "user_id", "created_at"),
    )
    # The audit trail gets its own entries (asked, used), never the token's hash.
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} user={self.user_id}>"
