"""How far back documents may be dated: the admin's limit in days, and the months an
admin closed for a section once its statement was settled. Closing and reopening a
month are in the audit trail (the ``closed_months`` row made, the row removed); nothing
may be dated into a closed month afterwards (``tracker.ledger.past`` refuses it)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import utcnow
from tracker.domain.accounts import Actor, Role, actor_id, require_role
from tracker.domain.errors import DomainError
from tracker.domain.periods import month_ended, month_of
from tracker.domain.words import month_name, number, say, sentence
from tracker.models import ClosedMonth, Section
from tracker.services import atomic
from tracker.services.alerts import settings

# Beyond this a limit is a typing mistake (about 27 years).
MAX_BACKDATE_DAYS = 10_000
_ADMIN = frozenset({Role.ADMIN})


@atomic
def set_backdate_days(session: Session, actor: Actor | None, days: int | None) -> None:
    """How many days back a typed date may go (None: no limit but closed months)."""
    require_role(actor, _ADMIN, say("Only an admin sets how far back documents may be dated."))
    if days is not None and (
        not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_BACKDATE_DAYS
    ):
        raise DomainError(
            say(
                "The limit must be a whole number of days from 1 to %(most)s, or empty for none.",
                most=number(MAX_BACKDATE_DAYS),
            )
        )
    settings(session).backdate_days = days
    session.flush()


def _section(session: Session, section_id: int) -> Section:
    section = session.get(Section, section_id)
    if section is None:
        raise DomainError(say("There is no section %(id)s.", id=section_id))
    return section


@atomic
def close_month(session: Session, actor: Actor | None, section_id: int, month: date) -> ClosedMonth:
    """Close a month that is over for a section: nothing may be dated into it after."""
    require_role(actor, _ADMIN, say("Only an admin closes a month."))
    section = _section(session, section_id)
    first = month_of(month)
    if not month_ended(first, utcnow().date()):
        raise DomainError(
            sentence(
                say(
                    "%(month)s is not over yet: only a past month can be closed.",
                    month=month_name(first),
                )
            )
        )
    if session.get(ClosedMonth, (section.id, first)) is not None:
        raise DomainError(
            sentence(
                say(
                    "%(month)s is already closed for %(section)s.",
                    month=month_name(first),
                    section=section.name,
                )
            )
        )
    row = ClosedMonth(
        section_id=section.id, month=first, closed_at=utcnow(), closed_by_id=actor_id(actor)
    )
    session.add(row)
    session.flush()
    return row


@atomic
def reopen_month(session: Session, actor: Actor | None, section_id: int, month: date) -> None:
    """Reopen a closed month (the audit trail keeps who closed it and who reopened it:
    the row made, then removed)."""
    require_role(actor, _ADMIN, say("Only an admin reopens a month."))
    section = _section(session, section_id)
    first = month_of(month)
    row = session.get(ClosedMonth, (section.id, first))
    if row is None:
        raise DomainError(
            sentence(
                say(
                    "%(month)s is not closed for %(section)s.",
                    month=month_name(first),
                    section=section.name,
                )
            )
        )
    session.delete(row)
    session.flush()


def closed_months(session: Session) -> list[ClosedMonth]:
    return list(
        session.scalars(select(ClosedMonth).order_by(ClosedMonth.section_id, ClosedMonth.month))
    )
