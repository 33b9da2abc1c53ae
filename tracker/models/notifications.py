"""Which mails each person wants: one row per person and kind they switched."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, sql_in
from tracker.domain.notifications import NotificationKind


class NotificationSetting(Base):
    """A person's switch for one kind of mail. No row: the kind is on (the default)."""

    __tablename__ = "notification_settings"
    __table_args__ = (CheckConstraint(f"kind IN {sql_in(NotificationKind)}", "kind_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)

    def __repr__(self) -> str:
        return f"<NotificationSetting {self.user_id} {self.kind} {self.enabled}>"
