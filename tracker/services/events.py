"""Events, the sales made at them (or at a section's store), and signing sessions."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from tracker import audit, ledger
from tracker.db import dialect_insert, utcnow
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.events import EventKind, EventStatus, PaymentMethod
from tracker.domain.money import MAX_PRICE_MINOR, check_currency, from_minor, to_minor
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition, MoveKind, check_quantity
from tracker.domain.text import clean, copies
from tracker.domain.values import check_day
from tracker.ledger import MoveLine
from tracker.models import (
    Author,
    Dedication,
    Edition,
    Event,
    Location,
    Move,
    Sale,
    SaleLine,
    SaleTally,
    Section,
    Signing,
)
from tracker.queries.money import price_for
from tracker.services import actor_id, atomic, documents, fenced_section, role_of
from tracker.services.movements import Copies, transfer

_events = Event.__table__
_sales = Sale.__table__
_tallies = SaleTally.__table__
MAX_ATTENDANCE = 1_000_000


def _check_section(actor: object, section_id: int, what: str) -> None:
    fence = fenced_section(actor)
    if fence is not None and fence != section_id:
        raise NotFound(f"There is no {what}.")


def _may_act(actor: object) -> None:
    """Events, sales and signings are the sections' own work (and the admins')."""
    if actor is not None and role_of(actor) not in (Role.ADMIN, Role.TREASURER):
        raise DomainError("Only a section's treasurer (or an admin) runs its events and sales.")


def get_event(session: Session, actor: object, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(f"There is no event {event_id}.")
    _check_section(actor, event.section_id, f"event {event_id}")
    return event


def get_sale(session: Session, actor: object, sale_id: int) -> Sale:
    sale = session.get(Sale, sale_id)
    if sale is None:
        raise NotFound(f"There is no sale {sale_id}.")
    _check_section(actor, sale.section_id, f"sale {sale_id}")
    return sale


# -- events --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventDetails:
    name: str
    kind: str
    starts_on: date
    ends_on: date | None = None
    city: str | None = None
    venue: str | None = None
    expected_attendance: int | None = None
    actual_attendance: int | None = None
    notes: str | None = None


def _text(
    value: str | None, what: str, limit: int, *, required: bool = False, multiline: bool = False
) -> str | None:
    return clean(value, what, limit, required=required, multiline=multiline)


def _apply(event: Event, details: EventDetails) -> None:
    try:
        kind = EventKind(details.kind)
    except ValueError:
        known = ", ".join(k.label for k in EventKind)
        raise DomainError(f"{details.kind!r} is not a kind of event ({known}).") from None
    if details.starts_on is None:
        raise DomainError("Give the date the event starts.")
    check_day(details.starts_on, "The day the event starts")
    check_day(details.ends_on, "The day the event ends")
    ends_on = details.ends_on or details.starts_on
    if ends_on < details.starts_on:
        raise DomainError("The event cannot end before it starts.")
    for what, value in (
        ("expected attendance", details.expected_attendance),
        ("attendance", details.actual_attendance),
    ):
        if value is not None and not 0 <= value <= MAX_ATTENDANCE:
            raise DomainError(f"The {what} must be a number from 0 to {MAX_ATTENDANCE:,}.")
    event.name = _text(details.name, "event's name", 200, required=True)
    event.kind = kind.value
    event.starts_on, event.ends_on = details.starts_on, ends_on
    event.city = _text(details.city, "city", 100)
    event.venue = _text(details.venue, "venue", 200)
    event.expected_attendance = details.expected_attendance
    event.actual_attendance = details.actual_attendance
    event.notes = _text(details.notes, "note", 4000, multiline=True)


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
    actor: object,
    section_id: int,
    details: EventDetails,
    *,
    key: str | None = None,
) -> Event:
    """An event of a section, with a table of its own for the copies brought to it.

    With the form's one-time ``key``, the same form sent twice (a reload, a double
    click, two at once) makes one event: the second finds the first."""
    _may_act(actor)
    documents.valid_key(key)
    _made_with(session, key)
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound(f"There is no section {section_id}.")
    _check_section(actor, section_id, f"section {section_id}")
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
def update_event(session: Session, actor: object, event_id: int, details: EventDetails) -> Event:
    _may_act(actor)
    event = get_event(session, actor, event_id)
    _apply(event, details)
    event.location.name = event.name
    session.flush()
    return event


def store_of(section: Section) -> Location:
    store = next(
        (loc for loc in section.locations if loc.kind == LocationKind.SECTION_STORE and loc.active),
        None,
    )
    if store is None:
        raise DomainError(f"Section {section.name} has no open store.")
    return store


@atomic
def close_event(
    session: Session, actor: object, event_id: int, when: date | datetime | None = None
) -> Event:
    """Bring what is left on the table back to the store, in one step, and stop sales."""
    _may_act(actor)
    event = get_event(session, actor, event_id)
    result = session.execute(
        update(_events)
        .where(_events.c.id == event.id, _events.c.status == EventStatus.OPEN)
        .values(status=EventStatus.CLOSED.value, closed_at=documents.occurred_at(when))
    )
    if result.rowcount != 1:
        raise DomainError(f"{event.name} is already closed.")
    session.refresh(event)
    audit.updated(
        session,
        event,
        {"status": EventStatus.OPEN.value, "closed_at": None},
        {"status": event.status, "closed_at": event.closed_at},
        "closed",
    )
    left = [
        Copies(edition_id, qty, condition)
        for (edition_id, condition), qty in sorted(_on_table(session, event).items())
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
            when=when,
        )
    event.location.active = False
    session.flush()
    return event


@atomic
def reopen_event(session: Session, actor: object, event_id: int) -> Event:
    _may_act(actor)
    event = get_event(session, actor, event_id)
    result = session.execute(
        update(_events)
        .where(_events.c.id == event.id, _events.c.status == EventStatus.CLOSED)
        .values(status=EventStatus.OPEN.value, closed_at=None)
    )
    closed_at = event.closed_at
    if result.rowcount != 1:
        raise DomainError(f"{event.name} is open already.")
    session.refresh(event)
    audit.updated(
        session,
        event,
        {"status": EventStatus.CLOSED.value, "closed_at": closed_at},
        {"status": event.status, "closed_at": None},
        "reopened",
    )
    event.location.active = True
    session.flush()
    return event


def _on_table(session: Session, event: Event) -> dict[tuple[int, str], int]:
    from tracker.queries.stock import expected_stock

    return expected_stock(session, event.location_id)


# -- sales -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleItem:
    edition_id: int
    qty: int
    condition: str = Condition.UNSIGNED
    # What the reader pays for one copy; None: the section's price for the edition.
    unit_price: Decimal | str | None = None


def _selling_place(
    session: Session, actor: object, location_id: int
) -> tuple[Location, Event | None]:
    place = session.get(Location, location_id)
    if (
        place is None
        or place.section_id is None
        or place.kind not in (LocationKind.SECTION_STORE, LocationKind.EVENT_TABLE)
    ):
        raise NotFound(f"There is no store or event table {location_id} to sell from.")
    _check_section(actor, place.section_id, f"place {location_id}")
    if place.kind == LocationKind.SECTION_STORE:
        return place, None  # a store holds no event
    event = session.scalar(select(Event).where(Event.location_id == place.id))
    if event is not None and not event.is_open:
        raise DomainError(f"{event.name} is closed: reopen it to sell there.")
    return place, event


@atomic
def sell(
    session: Session,
    actor: object,
    *,
    location_id: int,
    items: list[SaleItem],
    payment_method: str,
    buyer_name: str | None = None,
    currency: str | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> Sale:
    """Copies from a store or an event's table to readers: one posting, all or none."""
    _may_act(actor)
    # The document first: a sale sent twice finds its key taken before anything else is
    # checked or counted (and whatever fails after it rolls it back with the rest).
    document = documents.start(session, actor, "sale", key=key)
    place, event = _selling_place(session, actor, location_id)

    section = place.section
    if currency is not None and check_currency(currency) != section.currency:
        raise DomainError(f"Sales of {section.name} are in {section.currency}, not {currency}.")
    try:
        method = PaymentMethod(payment_method)
    except ValueError:
        raise DomainError(
            "Choose how the reader paid: cash, card, bank transfer or other."
        ) from None
    if not items:
        raise DomainError("Choose what was sold.")
    lines = []
    for item in items:
        edition = session.get(Edition, item.edition_id, options=[joinedload(Edition.title)])
        if edition is None:
            raise DomainError(f"There is no edition {item.edition_id}.")
        check_quantity(item.qty, edition.label)

        if item.unit_price is None or str(item.unit_price).strip() == "":
            price = price_for(session, section, edition)
            if price is None:
                raise DomainError(
                    f"{edition.label} has no price in {section.currency} yet: type the price, "
                    "or set it on the section's prices page."
                )
        else:
            price = to_minor(
                item.unit_price, section.currency, limit=MAX_PRICE_MINOR, what="A price per copy"
            )
            if price < 0:
                raise DomainError("The price cannot be negative.")
        lines.append(
            SaleLine(
                edition=edition,
                condition=str(Condition(item.condition)),
                qty=item.qty,
                unit_price_minor=price,
            )
        )
    at = documents.occurred_at(when)
    sale = Sale(
        document_id=document.id,
        section_id=section.id,
        location_id=place.id,
        event_id=event.id if event else None,
        payment_method=method.value,
        buyer_name=_text(buyer_name, "buyer's name", 200),
        currency=section.currency,
        sold_at=at,
        lines=lines,
    )
    session.add(sale)
    session.flush()
    customers = section.location_of_kind(LocationKind.CUSTOMERS)
    ledger.post(
        session,
        document,
        [
            MoveLine(
                MoveKind.SALE, line.edition_id, line.qty, place.id, customers.id, line.condition
            )
            for line in lines
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=at,
        details={
            "sale": {
                "payment": method.value,
                "buyer": sale.buyer_name,
                "currency": sale.currency,
                "lines": [
                    {
                        "edition": line.edition_id,
                        "condition": line.condition,
                        "qty": line.qty,
                        "price": str(from_minor(line.unit_price_minor, sale.currency)),
                    }
                    for line in lines
                ],
            }
        },
    )
    _count_in_tally(session, sale, 1)
    return sale


def _count_in_tally(session: Session, sale: Sale, sign: int) -> None:
    """Add a sale to its place's tally (sign +1), or take a voided one out (-1)."""
    if sign > 0:
        session.execute(
            _tally_upsert(session.get_bind().dialect.name),
            {
                "location_id": sale.location_id,
                "payment_method": sale.payment_method,
                "sales": 1,
                "copies": sale.copies,
                "amount_minor": sale.total_minor,
            },
        )
    else:
        session.execute(
            _TALLY_TAKE,
            {
                "place": sale.location_id,
                "method": sale.payment_method,
                "n_copies": sale.copies,
                "amount": sale.total_minor,
            },
        )


# A voided sale was counted in: its row is there.
_TALLY_TAKE = (
    update(_tallies)
    .where(
        _tallies.c.location_id == bindparam("place"),
        _tallies.c.payment_method == bindparam("method"),
    )
    .values(
        sales=_tallies.c.sales - 1,
        copies=_tallies.c.copies - bindparam("n_copies"),
        amount_minor=_tallies.c.amount_minor - bindparam("amount"),
    )
)


@functools.cache
def _tally_upsert(dialect: str):
    statement = dialect_insert(dialect, _tallies)
    columns = _tallies.c
    return statement.on_conflict_do_update(
        index_elements=[columns.location_id, columns.payment_method],
        set_={
            "sales": columns.sales + statement.excluded.sales,
            "copies": columns.copies + statement.excluded.copies,
            "amount_minor": columns.amount_minor + statement.excluded.amount_minor,
        },
    )


class AlreadyVoided(DomainError):
    status_code = 409


@atomic
def void_sale(session: Session, actor: object, sale_id: int, reason: str) -> Sale:
    """Undo a sale with reversing moves (never a deletion): the copies go back."""
    _may_act(actor)
    sale = get_sale(session, actor, sale_id)
    reason = clean(reason, "reason", 500, multiline=True)
    if not reason:
        raise DomainError("Say why the sale is voided.")
    result = session.execute(
        update(_sales)
        .where(_sales.c.document_id == sale.id, _sales.c.voided_at.is_(None))
        .values(voided_at=utcnow(), void_reason=reason, voided_by_id=actor_id(actor))
    )
    if result.rowcount != 1:
        raise AlreadyVoided(f"Sale #{sale.id} was already voided.")
    moves = session.scalars(select(Move.id).where(Move.document_id == sale.id)).all()
    document = documents.start(session, actor, "void", note=f"Void of sale #{sale.id}: {reason}")
    back_to = void_returns_to(sale)
    ledger.reverse(
        session,
        list(moves),
        document,
        created_by_id=actor_id(actor),
        note=reason,
        details={"void": {"sale": sale.id, "reason": reason, "back_to": back_to.code}},
        back_to=None if back_to.id == sale.location_id else back_to,
    )
    session.execute(
        update(_sales).where(_sales.c.document_id == sale.id).values(void_document_id=document.id)
    )
    session.refresh(sale)
    _count_in_tally(session, sale, -1)
    return sale


def void_returns_to(sale: Sale) -> Location:
    """Where a voided sale's copies go: back where they were sold, or, when that was the
    table of an event closed since, to the store its leftovers went back to."""
    if sale.location.active:
        return sale.location
    return store_of(sale.section)


class AlreadyUndone(DomainError):
    status_code = 409


def undo_sale(session: Session, actor: object, location_id: int, sale_id: int | None) -> Sale:
    """Undo the sale the screen showed as the last one (its id comes with the request,
    so that a second tap, or the same request sent twice, never undoes another sale)."""
    _selling_place(session, actor, location_id)
    if sale_id is None:
        raise DomainError("Say which sale to undo: reload the sale screen and try again.")
    sale = session.get(Sale, sale_id)
    if (
        sale is None
        or sale.location_id != location_id
        or (actor is not None and sale.document.created_by_id != actor_id(actor))
    ):
        raise DomainError(f"There is no sale #{sale_id} of yours here to undo.")
    if sale.voided_at is not None:
        raise AlreadyUndone(f"Sale #{sale.id} was already undone.")
    try:
        return void_sale(session, actor, sale.id, "Undone at the table")
    except AlreadyVoided:
        raise AlreadyUndone(f"Sale #{sale.id} was already undone.") from None


# -- signings --------------------------------------------------------------------------------


@atomic
def sign(
    session: Session,
    actor: object,
    *,
    event_id: int,
    edition_id: int,
    qty: int,
    author_ids: list[int],
    dedications: list[str] | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> Signing:
    """Authors sign copies on the event's table: unsigned turn into signed."""
    _may_act(actor)
    event = get_event(session, actor, event_id)
    if not event.is_open:
        raise DomainError(f"{event.name} is closed: reopen it to record a signing.")
    authors = [session.get(Author, a) for a in dict.fromkeys(author_ids or [])]
    if not authors or any(a is None for a in authors):
        raise DomainError("Choose who signed: one author or more.")
    names = [clean(d, "dedication") for d in (dedications or []) if d and d.strip()]
    if isinstance(qty, int) and not isinstance(qty, bool) and len(names) > qty:
        raise DomainError(
            f"{len(names)} dedications for {copies(qty)}: one dedication per copy at most."
        )
    for name in names:
        if len(name) > 200:
            raise DomainError(f"The dedication {name[:30]!r}... is longer than 200 characters.")
    if session.get(Edition, edition_id) is None:
        raise DomainError(f"There is no edition {edition_id}.")
    at = documents.occurred_at(when)
    document = documents.start(
        session,
        actor,
        "signing",
        key=key,
        note=f"Signed by {' and '.join(a.name for a in authors)}",
    )

    signing = Signing(
        document_id=document.id,
        event_id=event.id,
        edition_id=edition_id,
        qty=qty if isinstance(qty, int) and qty > 0 else 1,
        authors=authors,
        dedications=[Dedication(recipient=n) for n in names],
    )
    ledger.post(
        session,
        document,
        [
            MoveLine(
                MoveKind.SIGNING,
                edition_id,
                qty,
                event.location_id,
                event.location_id,
                Condition.UNSIGNED,
                Condition.SIGNED,
            )
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=at,
    )
    session.add(signing)
    session.flush()
    return signing
