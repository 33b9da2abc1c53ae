"""The outbox: mails queued with the change that causes them, sent later by the sender
(``tracker mail send``, ``tracker.mailer``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, utcnow


class MailMessage(Base):
    """One mail, rendered when it was queued (in its reader's language), and what
    became of it.

    A mail waits while ``next_attempt_at`` is set: it is due from then. Sent, or given
    up after too many refusals, it waits no more (``next_attempt_at`` empty), and the
    row stays as the record of it. ``message_id`` is its Message-ID header, made once:
    a mail sent twice (a sender that stopped between the server's answer and noting it)
    is recognisably the same mail.
    """

    __tablename__ = "mail_queue"
    __table_args__ = (
        CheckConstraint("attempts >= 0", "attempts_not_negative"),
        CheckConstraint("sent_at IS NULL OR given_up_at IS NULL", "sent_or_given_up"),
        CheckConstraint(
            "(next_attempt_at IS NULL) = (sent_at IS NOT NULL OR given_up_at IS NOT NULL)",
            "waits_until_done",
        ),
    )
    # The system's outbox, not a change people make (and the bodies may hold links
    # that must not be copied anywhere, such as a password reset's).
    __audit__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the mail is about, for people reading the queue: "test", "shipment_dispatched"...
    kind: Mapped[str] = mapped_column(String(64))
    # Given by the caller when the same mail must go once only ("digest:2026-W49:user:5").
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Tries so far, the one under way included.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> str:
        """sent, given_up, failing (waiting after a refusal) or queued."""
        if self.sent_at is not None:
            return "sent"
        if self.given_up_at is not None:
            return "given_up"
        return "failing" if self.last_error else "queued"
