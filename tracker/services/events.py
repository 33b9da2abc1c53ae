"""Events: launches, schools, festivals, bookstalls... each with a table of its own for the
copies brought to it; closing one brings its leftovers back to the store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.domain.accounts import SECTION_RUNNERS, Actor, require_role, require_section
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.events import EventKind, EventStatus
from tracker.domain.money import to_minor
from tracker.domain.places import LocationKind
from tracker.domain.text import clean
from tracker.domain.values import check_day
from tracker.domain.words import moment, number, one_of, say
from tracker.ledger import past
from tracker.models import Balance, Event, Location, Section
from tracker.queries.stock import expected_stock
from tracker.services import atomic, change_once, documents
from tracker.services.movements import Copies, transfer
from tracker.services.places import open_section, store_of

MAX_ATTENDANCE = 1_000_000


def may_run(actor: Actor | None) -> None:
    """Events, sales and signings are the sections' own work (and the admins')."""
    require_role(
        actor,
        SECTION_RUNNERS,
        say("Only a section's treasurer (or an admin) runs its events and sales."),
    )


def get_event(session: Session, actor: Actor | None, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(say("There is no event %(id)s.", id=event_id))
    require_section(actor, event.section_id, say("There is no event %(id)s.", id=event_id))
    return event


@dataclass(frozen=True)
class EventDetails:
    # A form's fields may be empty: the checks here refuse a missing name or day.
    name: str | None
    kind: str
    starts_on: date | None
    ends_on: date | None = None
    city: str | None = None
    venue: str | None = None
    expected_attendance: int | None = None
    actual_attendance: int | None = None
    notes: str | None = None


def _kind(value: str) -> EventKind:
    try:
        return EventKind(value)
    except ValueError:
        known = one_of([k.label for k in EventKind])
        raise DomainError(
            say("%(value)s is not a kind of event (%(known)s).", value=repr(value), known=known)
        ) from None


def _days(details: EventDetails) -> tuple[date, date]:
    if details.starts_on is None:
        raise DomainError(say("Give the date the event starts."))
    check_day(details.starts_on, say("The day the event starts"))
    check_day(details.ends_on, say("The day the event ends"))
    ends_on = details.ends_on or details.starts_on
    if ends_on < details.starts_on:
        raise DomainError(say("The event cannot end before it starts."))
    return details.starts_on, ends_on


def _attendance(value: int | None, *, expected: bool) -> int | None:
    """An attendance as given (None: none), checked: the expected one or the actual one."""
    if value is not None and not 0 <= value <= MAX_ATTENDANCE:
        most = number(MAX_ATTENDANCE)
        if expected:
            message = say("The expected attendance must be a number from 0 to %(most)s.", most=most)
        else:
            message = say("The attendance must be a number from 0 to %(most)s.", most=most)
        raise DomainError(message)
    return value


def _apply(event: Event, details: EventDetails) -> None:
    kind = _kind(details.kind)
    event.starts_on, event.ends_on = _days(details)
    event.expected_attendance = _attendance(details.expected_attendance, expected=True)
    event.actual_attendance = _attendance(details.actual_attendance, expected=False)
    event.name = clean(details.name, say("the event's name"), 200, required=True)
    event.kind = kind.value
    event.city = clean(details.city, say("the city"), 100)
    event.venue = clean(details.venue, say("the venue"), 200)
    event.notes = clean(details.notes, say("the note"), 4000, multiline=True)


def _table_code(session: Session, section: Section, day: date) -> str:
    store = next((loc for loc in section.locations if loc.kind == LocationKind.SECTION_STORE), None)
    prefix = (
        store.code.split("-")[0] if store else re.sub(r"[^A-Z0-9]", "", section.name.upper())[:6]
    )
    base = f"{prefix}-EV-{day:%Y%m%d}"
    code, n = base, 1
    while session.scalar(select(Location.id).where(Location.code == code)) is not None:
        n += 1
        code = f"{base}-{n}"
    return code


@atomic
def create_event(
    session: Session,
    actor: Actor | None,
    section_id: int,
    details: EventDetails,
    *,
    key: str | None = None,
) -> Event:
    """An event of a section, with a table of its own for the copies brought to it.

    With the form's one-time ``key``, the same form sent twice (a reload, a double
    click, two at once) makes one event: the second finds the first."""
    may_run(actor)
    documents.valid_key(key)
    _made_with(session, key)
    section = open_section(session, actor, section_id)
    event = Event(section_id=section.id, status=EventStatus.OPEN.value, submission_key=key)
    _apply(event, details)
    try:
        with session.begin_nested():
            table = Location(
                kind=LocationKind.EVENT_TABLE.value,
                name=event.name,
                section=section,
                code=_table_code(session, section, event.starts_on),
                active=True,
            )
            session.add(table)
            session.flush()
            event.location_id = table.id
            session.add(event)
            session.flush()
    except IntegrityError:
        # Sent twice at once: the other one committed its event while this one waited.
        _made_with(session, key)
        raise
    return event


def _made_with(session: Session, key: str | None) -> None:
    """AlreadySubmitted if an event was made by the form with this key."""
    if key is None:
        return
    existing = session.scalar(select(Event.id).where(Event.submission_key == key))
    if existing is not None:
        raise documents.AlreadySubmitted(existing, kind="event")


@atomic
def update_event(
    session: Session, actor: Actor | None, event_id: int, details: EventDetails
) -> Event:
    may_run(actor)
    event = get_event(session, actor, event_id)
    _apply(event, details)
    event.location.name = event.name
    session.flush()
    return event


def _counted_cash(counted: object, currency: str) -> int | None:
    """The cash counted at the table, in minor units (None: not counted)."""
    if counted is None or str(counted).strip() == "":
        return None
    try:
        minor = to_minor(counted, currency, what=say("the cash counted"))
    except DomainError as error:
        raise DomainError(say("Cash counted: %(problem)s", problem=error.message)) from None
    if minor < 0:
        raise DomainError(say("The cash counted cannot be negative."))
    return minor


@atomic
def close_event(
    session: Session,
    actor: Actor | None,
    event_id: int,
    when: date | datetime | None = None,
    counted_cash: object = None,
) -> Event:
    """Bring what is left on the table back to the store, in one step, and stop sales.
    ``counted_cash``: the cash counted at the table (the section's currency), which the
    event's report sets against the cash takings."""
    may_run(actor)
    event = get_event(session, actor, event_id)
    counted = _counted_cash(counted_cash, event.section.currency)
    at = documents.occurred_at(session, when)
    past.refuse_closed(session, [event.section_id], at)
    last = session.scalar(
        select(func.max(Balance.last_moved_at)).where(Balance.location_id == event.location_id)
    )
    if last is not None and at < last:
        raise DomainError(
            say(
                "Copies moved at %(event)s's table until %(moment)s: it cannot have closed "
                "before that.",
                event=event.name,
                moment=moment(last),
            )
        )
    closed = change_once(
        session,
        event,
        Event.status == EventStatus.OPEN,
        {"status": EventStatus.CLOSED.value, "closed_at": at, "counted_cash_minor": counted},
        "closed",
    )
    if not closed:
        raise DomainError(say("%(event)s is already closed.", event=event.name))
    left = [
        Copies(edition_id, qty, condition)
        for (edition_id, condition), qty in sorted(
            expected_stock(session, event.location_id).items()
        )
        if qty
    ]
    if left:
        transfer(
            session,
            actor,
            from_location_id=event.location_id,
            to_location_id=store_of(event.section).id,
            lines=left,
            note=f"Leftovers from {event.name}",
            when=at,
        )
    event.location.active = False
    session.flush()
    return event


@atomic
def reopen_event(session: Session, actor: Actor | None, event_id: int) -> Event:
    may_run(actor)
    event = get_event(session, actor, event_id)
    reopened = change_once(
        session,
        event,
        Event.status == EventStatus.CLOSED,
        # The cash counted at the close no longer counts what the table will take.
        {"status": EventStatus.OPEN.value, "closed_at": None, "counted_cash_minor": None},
        "reopened",
    )
    if not reopened:
        raise DomainError(say("%(event)s is open already.", event=event.name))
    event.location.active = True
    session.flush()
    return event
