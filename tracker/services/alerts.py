"""The dashboard's alert thresholds: defaults for every section, and a section's own.

A section warns when it holds fewer weeks of cover, or fewer copies, than its
thresholds. Each threshold of a section falls back to the default when the section has
none of its own; 0 turns that alert off for the section; an empty default means no
such alert for sections without their own.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain.accounts import Actor, Role, require_role
from tracker.domain.errors import DomainError
from tracker.domain.figures import Thresholds
from tracker.domain.stock import MAX_QTY
from tracker.domain.words import number, say
from tracker.models import Section, Settings
from tracker.services import atomic

# Beyond these, a threshold is a typing mistake rather than a wish.
MAX_WEEKS = 104
MAX_COPIES = MAX_QTY


def settings(session: Session) -> Settings:
    """The one settings row (made, empty, if a database somehow lacks it)."""
    row = session.get(Settings, 1)
    if row is None:
        row = Settings(id=1)
        session.add(row)
        session.flush()
    return row


def _not_whole(weeks: bool, section: str | None) -> str:
    """The message for a threshold that is not a whole number."""
    if section is None:
        if weeks:
            return say("Weeks of cover must be a whole number.")
        return say("Copies must be a whole number.")
    if weeks:
        return say("%(section)s: weeks of cover must be a whole number.", section=section)
    return say("%(section)s: copies must be a whole number.", section=section)


def _out_of_range(weeks: bool, section: str | None, limit: int, value: int) -> str:
    """The message for a threshold beyond its limit (or below 0)."""
    values = {"limit": number(limit), "value": number(value)}
    if section is None:
        if weeks:
            return say(
                "Weeks of cover must be between 0 and %(limit)s; it was %(value)s.", **values
            )
        return say("Copies must be between 0 and %(limit)s; it was %(value)s.", **values)
    if weeks:
        return say(
            "%(section)s: weeks of cover must be between 0 and %(limit)s; it was %(value)s.",
            section=section,
            **values,
        )
    return say(
        "%(section)s: copies must be between 0 and %(limit)s; it was %(value)s.",
        section=section,
        **values,
    )


def _checked(value: int | None, *, weeks: bool, section: str | None = None) -> int | None:
    """A threshold as given (None: none), checked: weeks of cover (``weeks``) or copies,
    the default's or a section's (``section``: its name)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise DomainError(_not_whole(weeks, section))
    limit = MAX_WEEKS if weeks else MAX_COPIES
    if value < 0 or value > limit:
        raise DomainError(_out_of_range(weeks, section, limit, value))
    return value


@atomic
def set_thresholds(
    session: Session,
    actor: Actor | None,
    default: Thresholds,
    by_section: dict[int, Thresholds],
) -> None:
    """Set the default thresholds and each listed section's own (empty: the default)."""
    require_role(
        actor, frozenset({Role.ADMIN}), say("Only an admin sets the dashboard's alert thresholds.")
    )
    row = settings(session)
    row.alert_weeks_of_cover = _checked(default.weeks_of_cover, weeks=True)
    row.alert_copies = _checked(default.copies, weeks=False)
    sections = {s.id: s for s in session.scalars(select(Section))}
    for section_id, own in by_section.items():
        section = sections.get(section_id)
        if section is None:
            raise DomainError(say("There is no section %(id)s.", id=section_id))
        section.alert_weeks_of_cover = _checked(
            own.weeks_of_cover, weeks=True, section=section.name
        )
        section.alert_copies = _checked(own.copies, weeks=False, section=section.name)
    session.flush()
