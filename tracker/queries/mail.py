"""The mail queue, for admins: what is waiting, sent and given up."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, load_only

from tracker.models.mail import MailMessage

STATES = ("queued", "failing", "sent", "given_up")


def mail_counts(session: Session) -> dict[str, int]:
    """How many mails are in each state (``MailMessage.state``)."""
    state = case(
        (MailMessage.sent_at.is_not(None), "sent"),
        (MailMessage.given_up_at.is_not(None), "given_up"),
        (MailMessage.last_error.is_not(None), "failing"),
        else_="queued",
    )
    counts = dict.fromkeys(STATES, 0)
    for row in session.execute(select(state, func.count()).group_by(state)):
        counts[str(row[0])] = row[1]
    return counts


def mail_messages(
    session: Session, *, before_id: int | None = None, limit: int = 50
) -> list[MailMessage]:
    """Mails, newest first, without their bodies."""
    query = select(MailMessage).options(
        load_only(
            MailMessage.id,
            MailMessage.kind,
            MailMessage.to_address,
            MailMessage.language,
            MailMessage.subject,
            MailMessage.created_at,
            MailMessage.attempts,
            MailMessage.next_attempt_at,
            MailMessage.last_attempt_at,
            MailMessage.last_error,
            MailMessage.sent_at,
            MailMessage.given_up_at,
        )
    )
    if before_id is not None:
        query = query.where(MailMessage.id < before_id)
    return list(session.scalars(query.order_by(MailMessage.id.desc()).limit(limit)))
