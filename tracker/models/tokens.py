"""Personal access tokens: how a person's programs reach the tracker's JSON API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ColumnElement, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, utcnow
from tracker.domain.tokens import ADDRESS_LIMIT, NAME_LIMIT, TokenStatus, status_of
from tracker.models.accounts import User


class ApiToken(Base):
    """One token a person made in their account page (``tracker.services.tokens``).

    Only the token's SHA-256 is kept (``token_hash``), and its first characters
    (``prefix``) to recognise it by. It acts as its owner, with their role and section,
    until ``expires_at`` (always chosen) or until it is revoked; ``read_only`` limits it
    to reading. ``last_used_at`` and ``last_used_from`` are written at most once a
    minute (``tokens.touch``).
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        # A person's tokens, newest first.
        Index("ix_api_tokens_user_id_created_at", "user_id", "created_at"),
    )
    # The audit trail gets its own entries (made, revoked), never the hash nor each use.
    __audit__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(NAME_LIMIT))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    read_only: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_from: Mapped[str | None] = mapped_column(String(ADDRESS_LIMIT))

    user: Mapped[User] = relationship()

    def status(self, now: datetime | None = None) -> TokenStatus:
        return status_of(self.revoked_at, self.expires_at, now or utcnow())

    @classmethod
    def live_at(cls, now: datetime) -> ColumnElement[bool]:
        """``status`` is live at ``now``, as SQL (``tracker.domain.tokens.status_of``)."""
        return cls.revoked_at.is_(None) & (cls.expires_at > now)

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix} user={self.user_id}>"
