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


def _checked(value: int | None, what: str, limit: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise DomainError(f"{what} must be a whole number.")
    if value < 0 or value > limit:
        raise DomainError(f"{what} must be between 0 and {limit:,}; it was {value:,}.")
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
        actor, frozenset({Role.ADMIN}), "Only an admin sets the dashboard's alert thresholds."
    )
    row = settings(session)
    row.alert_weeks_of_cover = _checked(default.weeks_of_cover, "Weeks of cover", MAX_WEEKS)
    row.alert_copies = _checked(default.copies, "Copies", MAX_COPIES)
    sections = {s.id: s for s in session.scalars(select(Section))}
    for section_id, own in by_section.items():
        section = sections.get(section_id)
        if section is None:
            raise DomainError(f"There is no section {section_id}.")
        section.alert_weeks_of_cover = _checked(
            own.weeks_of_cover, f"{section.name}: weeks of cover", MAX_WEEKS
        )
        section.alert_copies = _checked(own.copies, f"{section.name}: copies", MAX_COPIES)
    session.flush()
