"""Shipments: drafted, dispatched into transit, or cancelled while a draft (their receipts
are ``services.receipts``). The state machine is the domain's
(``tracker.domain.distribution``).

Every transition is one conditional UPDATE on the shipment's status (``WHERE status =
...``), so that two people pressing the same button at once make one transition and
the other gets a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.db import utcnow
from tracker.domain.accounts import Actor, actor_id, may_see
from tracker.domain.distribution import (
    CAN,
    Direction,
    ShipmentStatus,
    WrongState,
    check_state,
    may_manage,
)
from tracker.domain.errors import DomainError, NotFound, about, about_line
from tracker.domain.money import MAX_PRICE_MINOR, to_minor
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition, MoveKind, check_quantity
from tracker.domain.terms import Terms
from tracker.domain.text import clean
from tracker.domain.values import check_day
from tracker.domain.words import number, say, say_n
from tracker.ledger import MoveLine
from tracker.models import Edition, Location, Section, Shipment, ShipmentLine
from tracker.queries.statements import returnable, sor_price
from tracker.services import atomic, change_once, documents, notifications
from tracker.services.places import get_section, open_section, publisher_location, store_of

__all__ = ["LineInput", "WrongState", "cancel", "create", "dispatch", "get", "update_draft"]

S = ShipmentStatus


@dataclass(frozen=True)
class LineInput:
    edition_id: int
    qty: int
    # None on a return: the price the section received the copies at.
    unit_price: Decimal | str | None = None


def get(session: Session, actor: Actor | None, shipment_id: int) -> Shipment:
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or not may_see(actor, shipment.section_id):
        raise NotFound(say("There is no shipment #%(id)s.", id=shipment_id))
    return shipment


def _may_manage(actor: Actor | None, direction: str, message: str) -> None:
    if not may_manage(actor, direction):
        raise DomainError(message)


def transition(
    session: Session,
    shipment: Shipment,
    new: ShipmentStatus,
    action: str,
    **values: object,
) -> None:
    """Move to ``new`` if the shipment is (still) in a state that allows ``action``."""
    wanted = CAN[action]
    check_state(shipment.id, shipment.status, wanted, action)
    if not change_once(
        session,
        shipment,
        Shipment.status.in_([s.value for s in wanted]),
        {"status": new.value, **values},
        action,
    ):
        # Someone else moved it first: say where it is now.
        check_state(shipment.id, shipment.status, wanted, action)
        raise WrongState(
            say("Shipment #%(id)s changed meanwhile: look at it again.", id=shipment.id)
        )


# -- lines -------------------------------------------------------------------------------------


def _price(edition: Edition, typed: object, currency: str, default: int | None) -> int:
    if typed is None or str(typed).strip() == "":
        if default is None:
            raise DomainError(say("%(edition)s: give the price per copy.", edition=edition.label))
        return default
    try:
        price = to_minor(typed, currency, limit=MAX_PRICE_MINOR, what=say("a price per copy"))
    except DomainError as error:
        raise DomainError(
            say("%(edition)s: %(message)s", edition=edition.label, message=error.message)
        ) from None
    if price < 0:
        raise DomainError(
            say("%(edition)s: the price per copy cannot be negative.", edition=edition.label)
        )
    return price


def _check_lines(
    session: Session, lines: list[LineInput], currency: str, *, returning: Section | None = None
) -> list[tuple[Edition, int, int]]:
    """(edition, copies, price in minor units) for each line, or a message that says
    which line is wrong and why. On a return (``returning``: the section sending copies
    back) a line without a price takes the price the section received them at. A wrong
    value is named as programs name it (``lines[1].copies``)."""
    if not lines:
        with about("lines"):
            raise DomainError(
                say("A shipment needs at least one line: an edition and a number of copies.")
            )
    checked = []
    seen: set[int] = set()
    for index, line in enumerate(lines):
        with about(f"lines[{index}]"):
            checked.append(_check_line(session, line, currency, returning, seen))
    return checked


def _check_line(
    session: Session, line: LineInput, currency: str, returning: Section | None, seen: set[int]
) -> tuple[Edition, int, int]:
    with about("edition"):
        edition = session.get(Edition, line.edition_id)
        if edition is None:
            raise DomainError(say("There is no edition %(id)s.", id=line.edition_id))
        if edition.id in seen:
            raise DomainError(
                say(
                    "%(edition)s is on two lines: put all its copies on one.",
                    edition=edition.label,
                )
            )
    seen.add(edition.id)
    with about("copies"):
        qty = check_quantity(line.qty, edition.label)
    default = sor_price(session, returning.id, edition.id) if returning else None
    with about("price"):
        return edition, qty, _price(edition, line.unit_price, currency, default)


def _check_returnable(
    session: Session, section: Section, lines: list[tuple[Edition, int, int]], exclude: int | None
) -> None:
    """A return sends back only sale-or-return copies not sold (nor being sent back on
    another return): the rule the statement owes by."""
    for index, (edition, qty, _price) in enumerate(lines):
        room = returnable(session, section.id, edition.id)
        if exclude is not None:  # the draft being edited reserves its own copies
            room += session.execute(
                select(func.coalesce(func.sum(ShipmentLine.qty), 0)).where(
                    ShipmentLine.shipment_id == exclude, ShipmentLine.edition_id == edition.id
                )
            ).scalar_one()
        if qty > room:
            error = DomainError(
                say_n(
                    "%(edition)s: section %(section)s can send back %(n)s copy on sale or "
                    "return, not %(qty)s. Firm-sale copies stay with the section.",
                    "%(edition)s: section %(section)s can send back %(n)s copies on sale or "
                    "return, not %(qty)s. Firm-sale copies stay with the section.",
                    room,
                    edition=edition.label,
                    section=section.name,
                    n=number(room),
                    qty=number(qty),
                )
            )
            error.field = f"lines[{index}].copies"
            raise error


# -- drafting ----------------------------------------------------------------------------------


def _direction(value: str) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise DomainError(
            say("%(value)s is not a direction (outbound or return).", value=repr(value))
        ) from None


def _terms(value: str) -> Terms:
    try:
        return Terms(value)
    except ValueError:
        raise DomainError(
            say("%(value)s is not a kind of terms (firm sale, sale or return).", value=repr(value))
        ) from None


def _route(
    session: Session, direction: Direction, section: Section, store: Location
) -> tuple[Location, Location, Location]:
    """(from, to, through): the warehouse to the section's store through its transit,
    or back through the publisher's."""
    warehouse = publisher_location(session, LocationKind.WAREHOUSE)
    if direction == Direction.OUTBOUND:
        return warehouse, store, section.location_of_kind(LocationKind.IN_TRANSIT)
    return store, warehouse, publisher_location(session, LocationKind.IN_TRANSIT)


@atomic
def create(
    session: Session,
    actor: Actor | None,
    *,
    direction: str,
    section_id: int,
    lines: list[LineInput],
    terms: str = Terms.FIRM_SALE,
    store_id: int | None = None,
    carrier: str | None = None,
    tracking_number: str | None = None,
    expected_on: date | None = None,
    note: str | None = None,
    key: str | None = None,
    reference: str | None = None,
) -> Shipment:
    """A draft shipment: outbound (warehouse -> a section's store) or a return. A wrong
    value is named as programs name it (``section``, ``lines[0].price``...)."""
    with about("direction"):
        way = _direction(direction)
    _may_manage(actor, way, say("Only distribution staff send shipments to sections."))
    # Nothing new is sent to an archived section; what it holds may still come back.
    with about("section"):
        section = (open_section if way == Direction.OUTBOUND else get_section)(
            session, actor, section_id
        )
    with about("terms"):
        kind = _terms(Terms.SALE_OR_RETURN if way == Direction.RETURN else terms)
    checked = _check_lines(
        session, lines, section.currency, returning=section if way == Direction.RETURN else None
    )
    if way == Direction.RETURN:
        _check_returnable(session, section, checked, exclude=None)
    with about("store"):
        store = store_of(section, store_id)
    origin, destination, transit = _route(session, way, section, store)
    with about("carrier"):
        carrier = clean(carrier, say("the carrier"), 100)
    with about("tracking_number"):
        tracking_number = clean(tracking_number, say("the tracking number"), 100)
    with about("expected_on"):
        expected_on = check_day(expected_on, say("The expected arrival"))
    with about("reference"):
        reference = clean(reference, say("the reference"), 120)
    with about("note"):
        note = clean(note, say("the note"), 2000, multiline=True)
    document = documents.start(session, actor, "shipment", key=key, note=note, reference=reference)
    shipment = Shipment(
        document_id=document.id,
        direction=way.value,
        status=S.DRAFT.value,
        section_id=section.id,
        from_location_id=origin.id,
        to_location_id=destination.id,
        transit_location_id=transit.id,
        terms=kind.value,
        currency=section.currency,
        carrier=carrier,
        tracking_number=tracking_number,
        expected_on=expected_on,
        lines=[
            ShipmentLine(edition_id=edition.id, qty=qty, unit_price_minor=price)
            for edition, qty, price in checked
        ],
    )
    session.add(shipment)
    session.flush()
    return shipment


@atomic
def update_draft(
    session: Session,
    actor: Actor | None,
    shipment_id: int,
    *,
    lines: list[LineInput],
    terms: str | None = None,
    store_id: int | None = None,
    carrier: str | None = None,
    tracking_number: str | None = None,
    expected_on: date | None = None,
    note: str | None = None,
) -> Shipment:
    shipment = get(session, actor, shipment_id)
    _may_manage(actor, shipment.direction, say("Only distribution staff change this shipment."))
    # Lock the draft: a dispatch at the same moment waits, then sees the new lines.
    transition(session, shipment, S.DRAFT, "edited")
    section = shipment.section
    checked = _check_lines(
        session, lines, shipment.currency, returning=section if shipment.is_return else None
    )
    if shipment.is_return:
        _check_returnable(session, section, checked, exclude=shipment.id)
    else:
        if terms is not None:
            shipment.terms = _terms(terms).value
        shipment.to_location_id = store_of(section, store_id or shipment.to_location_id).id
    by_edition = {line.edition_id: line for line in shipment.lines}
    kept = []
    for edition, qty, price in checked:
        line = by_edition.pop(edition.id, None) or ShipmentLine(edition_id=edition.id)
        line.qty, line.unit_price_minor = qty, price
        kept.append(line)
    shipment.lines = kept
    shipment.carrier = clean(carrier, say("the carrier"), 100)
    shipment.tracking_number = clean(tracking_number, say("the tracking number"), 100)
    shipment.expected_on = check_day(expected_on, say("The expected arrival"))
    shipment.document.note = clean(note, say("the note"), 2000, multiline=True)
    session.flush()
    return shipment


@atomic
def dispatch(
    session: Session,
    actor: Actor | None,
    shipment_id: int,
    *,
    when: date | datetime | None = None,
) -> Shipment:
    """The copies leave: origin -> in transit. Nothing moves if the origin lacks any
    (the error names the line: ``lines[1]``)."""
    shipment = get(session, actor, shipment_id)
    _may_manage(actor, shipment.direction, say("Only distribution staff dispatch this shipment."))
    with about("when"):
        now = documents.occurred_at(session, when)
    transition(
        session,
        shipment,
        S.DISPATCHED,
        "dispatched",
        dispatched_at=now,
        dispatched_by_id=actor_id(actor),
    )
    with about_line([(line.edition_id, Condition.UNSIGNED) for line in shipment.lines]):
        ledger.post(
            session,
            shipment.document,
            [
                MoveLine(
                    kind=MoveKind.DISPATCH,
                    edition_id=line.edition_id,
                    qty=line.qty,
                    from_location_id=shipment.from_location_id,
                    to_location_id=shipment.transit_location_id,
                )
                for line in shipment.lines
            ],
            created_by_id=actor_id(actor),
            savepoint=False,
            occurred_at=now,
        )
    # The section's treasurers hear of it (queued with the dispatch, never stopping it).
    notifications.shipment_dispatched(session, shipment)
    return shipment


@atomic
def cancel(session: Session, actor: Actor | None, shipment_id: int) -> Shipment:
    shipment = get(session, actor, shipment_id)
    _may_manage(actor, shipment.direction, say("Only distribution staff cancel this shipment."))
    transition(session, shipment, S.CANCELLED, "cancelled", cancelled_at=utcnow())
    return shipment
