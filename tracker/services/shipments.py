"""Shipments: drafted, dispatched into transit, received (in parts) at the other end.

The state machine::

    draft --dispatch--> dispatched --receive--> partly received --receive--> received
      |                      `------------------------receive------------------^
      `--cancel--> cancelled

Every transition is one conditional UPDATE on the shipment's status (``WHERE status =
...``), so that two people pressing the same button at once make one transition and
the other gets a clear message. Receipts count copies into the shipment's lines with
conditional UPDATEs too: nobody receives more than was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, cast, func, select, update
from sqlalchemy.orm import Session

from tracker import audit, ledger
from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.domain.distribution import Direction, DiscrepancyReason, ShipmentStatus
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.money import MAX_PRICE_MINOR, to_minor
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition, MoveKind, check_quantity
from tracker.domain.terms import Terms
from tracker.domain.text import clean, copies
from tracker.domain.values import check_day
from tracker.ledger import MoveLine
from tracker.models import Edition, Location, Receipt, ReceiptLine, Section, Shipment, ShipmentLine
from tracker.services import actor_id, atomic, documents, fenced_section, is_staff, role_of
from tracker.services.places import publisher_location

S = ShipmentStatus
_shipments = Shipment.__table__
_lines = ShipmentLine.__table__


class WrongState(DomainError):
    status_code = 409


@dataclass(frozen=True)
class LineInput:
    edition_id: int
    qty: int
    # None on a return: the price the section received the copies at.
    unit_price: Decimal | str | None = None


@dataclass(frozen=True)
class ReceiptInput:
    line_id: int
    received: int = 0
    damaged: int = 0
    missing: int = 0
    reason: str | None = None
    note: str | None = None


# -- who may do what with a shipment ---------------------------------------------------


def can_see(actor: object, shipment: Shipment) -> bool:
    fence = fenced_section(actor)
    return fence is None or shipment.section_id == fence


def get(session: Session, actor: object, shipment_id: int) -> Shipment:
    shipment = session.get(Shipment, shipment_id)
    if shipment is None or not can_see(actor, shipment):
        raise NotFound(f"There is no shipment #{shipment_id}.")
    return shipment


def can_manage(actor: object, shipment_or_direction: Shipment | str) -> bool:
    """Edit, dispatch, cancel: staff for everything; a treasurer for their returns."""
    direction = getattr(shipment_or_direction, "direction", shipment_or_direction)
    return is_staff(actor) or (direction == Direction.RETURN and role_of(actor) == Role.TREASURER)


def can_receive(actor: object, shipment: Shipment) -> bool:
    """Staff receive anything; a treasurer receives what comes to their section."""
    return is_staff(actor) or (
        shipment.direction == Direction.OUTBOUND and role_of(actor) == Role.TREASURER
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise DomainError(message)


# -- drafting ----------------------------------------------------------------------------


def _store(session: Session, section: Section, location_id: int | None) -> Location:
    """The section's store the shipment goes to or comes from."""
    stores = [
        loc for loc in section.locations if loc.kind == LocationKind.SECTION_STORE and loc.active
    ]
    if not stores:
        raise DomainError(f"Section {section.name} has no open store to ship to or from.")
    if location_id is None:
        return stores[0]
    for store in stores:
        if store.id == location_id:
            return store
    raise DomainError(f"Location {location_id} is not an open store of section {section.name}.")


def _section(session: Session, actor: object, section_id: int) -> Section:
    section = session.get(Section, section_id)
    fence = fenced_section(actor)
    if section is None or (fence is not None and fence != section_id):
        raise NotFound(f"There is no section {section_id}.")
    return section


def _check_lines(
    session: Session, lines: list[LineInput], currency: str, *, returning: Section | None = None
) -> list[tuple[Edition, int, int]]:
    """(edition, copies, price in minor units) for each line, or a message that says
    which line is wrong and why. On a return (``returning``: the section sending copies
    back) a line without a price takes the price the section received them at."""
    if not lines:
        raise DomainError("A shipment needs at least one line: an edition and a number of copies.")
    checked = []
    seen: set[int] = set()
    for line in lines:
        edition = session.get(Edition, line.edition_id)
        if edition is None:
            raise DomainError(f"There is no edition {line.edition_id}.")
        if edition.id in seen:
            raise DomainError(f"{edition.label} is on two lines: put all its copies on one.")
        seen.add(edition.id)
        qty = check_quantity(line.qty, edition.label)
        if line.unit_price is None or str(line.unit_price).strip() == "":
            price = sor_price(session, returning.id, edition.id) if returning else None
            if price is None:
                raise DomainError(f"{edition.label}: give the price per copy.")
            checked.append((edition, qty, price))
            continue
        try:
            price = to_minor(
                line.unit_price, currency, limit=MAX_PRICE_MINOR, what="A price per copy"
            )
        except DomainError as error:
            raise DomainError(f"{edition.label}: {error.message}") from None
        if price < 0:
            raise DomainError(f"{edition.label}: the price per copy cannot be negative.")
        checked.append((edition, qty, price))
    return checked


def _text(value: str | None, what: str, limit: int, *, multiline: bool = False) -> str | None:
    return clean(value, what, limit, multiline=multiline)


def sor_price(session: Session, section_id: int, edition_id: int) -> int | None:
    """The price per copy (minor units) at which a section received an edition on sale
    or return: the average over what it received, as its statement reckons what sold
    copies owe. None when it received none."""
    copies, value = session.execute(
        select(
            func.coalesce(func.sum(ShipmentLine.received_qty), 0),
            func.coalesce(
                func.sum(
                    cast(ShipmentLine.received_qty, BigInteger) * ShipmentLine.unit_price_minor
                ),
                0,
            ),
        )
        .join(Shipment)
        .where(
            Shipment.section_id == section_id,
            Shipment.direction == Direction.OUTBOUND,
            Shipment.terms == Terms.SALE_OR_RETURN,
            ShipmentLine.edition_id == edition_id,
        )
    ).one()
    if not copies:
        return None
    return int((Decimal(int(value)) / int(copies)).quantize(Decimal(1), ROUND_HALF_UP))


def returnable(session: Session, section_id: int, edition_id: int) -> int:
    """Sale-or-return copies a section received, has not sold and has not sent back (or
    is not sending back in a shipment not cancelled). Sales use up the section's
    firm-sale copies first (see ``tracker.queries.statements``)."""
    from tracker.models import Sale, SaleLine

    def received(terms: Terms) -> int:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(ShipmentLine.received_qty), 0))
                .join(Shipment)
                .where(
                    Shipment.section_id == section_id,
                    Shipment.direction == Direction.OUTBOUND,
                    Shipment.terms == terms,
                    ShipmentLine.edition_id == edition_id,
                )
            )
        )

    sold = int(
        session.scalar(
            select(func.coalesce(func.sum(SaleLine.qty), 0))
            .join(SaleLine.sale)
            .where(
                Sale.section_id == section_id,
                Sale.voided_at.is_(None),
                SaleLine.edition_id == edition_id,
            )
        )
    )
    sor_sold = max(0, sold - received(Terms.FIRM_SALE))
    returning = session.scalar(
        select(func.coalesce(func.sum(ShipmentLine.qty), 0))
        .join(Shipment)
        .where(
            Shipment.section_id == section_id,
            Shipment.direction == Direction.RETURN,
            Shipment.status != S.CANCELLED,
            ShipmentLine.edition_id == edition_id,
        )
    )
    return max(0, received(Terms.SALE_OR_RETURN) - int(returning) - sor_sold)


def _check_returnable(
    session: Session, section: Section, lines: list[tuple[Edition, int, int]], exclude: int | None
) -> None:
    for edition, qty, _price in lines:
        room = returnable(session, section.id, edition.id)
        if exclude is not None:
            room += session.scalar(
                select(func.coalesce(func.sum(ShipmentLine.qty), 0)).where(
                    ShipmentLine.shipment_id == exclude, ShipmentLine.edition_id == edition.id
                )
            )
        if qty > room:
            raise DomainError(
                f"{edition.label}: section {section.name} can send back {copies(room)} on "
                f"sale or return, not {qty:,}. Firm-sale copies stay with the section."
            )


@atomic
def create(
    session: Session,
    actor: object,
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
) -> Shipment:
    """A draft shipment: outbound (warehouse -> a section's store) or a return."""
    try:
        direction = Direction(direction)
    except ValueError:
        raise DomainError(f"{direction!r} is not a direction (outbound or return).") from None
    _require(can_manage(actor, direction), "Only distribution staff send shipments to sections.")
    section = _section(session, actor, section_id)
    try:
        terms = Terms(Terms.SALE_OR_RETURN if direction == Direction.RETURN else terms)
    except ValueError:
        raise DomainError(
            f"{terms!r} is not a kind of terms (firm sale, sale or return)."
        ) from None
    checked = _check_lines(
        session,
        lines,
        section.currency,
        returning=section if direction == Direction.RETURN else None,
    )
    if direction == Direction.RETURN:
        _check_returnable(session, section, checked, exclude=None)
    store = _store(session, section, store_id)
    warehouse = publisher_location(session, LocationKind.WAREHOUSE)
    if direction == Direction.OUTBOUND:
        origin, destination = warehouse, store
        transit = section.location_of_kind(LocationKind.IN_TRANSIT)
    else:
        origin, destination = store, warehouse
        transit = publisher_location(session, LocationKind.IN_TRANSIT)
    document = documents.start(session, actor, "shipment", key=key, note=note)
    shipment = Shipment(
        document_id=document.id,
        direction=direction.value,
        status=S.DRAFT.value,
        section_id=section.id,
        from_location_id=origin.id,
        to_location_id=destination.id,
        transit_location_id=transit.id,
        terms=terms.value,
        currency=section.currency,
        carrier=_text(carrier, "carrier", 100),
        tracking_number=_text(tracking_number, "tracking number", 100),
        expected_on=check_day(expected_on, "The expected arrival"),
        lines=[
            ShipmentLine(edition_id=edition.id, qty=qty, unit_price_minor=price)
            for edition, qty, price in checked
        ],
    )
    session.add(shipment)
    session.flush()
    return shipment


def check_state(shipment: Shipment, wanted: set[ShipmentStatus], action: str) -> None:
    if ShipmentStatus(shipment.status) not in wanted:
        allowed = " or ".join(sorted(s.label for s in wanted))
        raise WrongState(
            f"Shipment #{shipment.id} is {shipment.status_enum.label}: only a shipment that is "
            f"{allowed} can be {action}."
        )


def _transition(
    session: Session,
    shipment: Shipment,
    wanted: set[ShipmentStatus],
    new: ShipmentStatus,
    action: str,
    **values: object,
) -> None:
    """Move to ``new`` if the shipment is (still) in one of ``wanted``, atomically."""
    check_state(shipment, wanted, action)
    result = session.execute(
        update(_shipments)
        .where(
            _shipments.c.document_id == shipment.id,
            _shipments.c.status.in_([s.value for s in wanted]),
        )
        .values(status=new.value, **values)
    )
    if result.rowcount != 1:
        session.refresh(shipment)
        check_state(shipment, wanted, action)  # someone else moved it first: say where it is
        raise WrongState(f"Shipment #{shipment.id} changed meanwhile: look at it again.")
    before = {"status": shipment.status, **{k: getattr(shipment, k) for k in values}}
    session.refresh(shipment)
    audit.updated(
        session,
        shipment,
        before,
        {"status": shipment.status, **{k: getattr(shipment, k) for k in values}},
        action,
    )


@atomic
def update_draft(
    session: Session,
    actor: object,
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
    _require(can_manage(actor, shipment), "Only distribution staff change this shipment.")
    check_state(shipment, {S.DRAFT}, "edited")
    # Lock the draft: a dispatch at the same moment waits, then sees the new lines.
    _transition(session, shipment, {S.DRAFT}, S.DRAFT, "edited")
    section = shipment.section
    checked = _check_lines(
        session, lines, shipment.currency, returning=section if shipment.is_return else None
    )
    if shipment.is_return:
        _check_returnable(session, section, checked, exclude=shipment.id)
    else:
        if terms is not None:
            try:
                shipment.terms = Terms(terms).value
            except ValueError:
                raise DomainError(f"{terms!r} is not a kind of terms.") from None
        shipment.to_location_id = _store(session, section, store_id or shipment.to_location_id).id
    by_edition = {line.edition_id: line for line in shipment.lines}
    kept = []
    for edition, qty, price in checked:
        line = by_edition.pop(edition.id, None) or ShipmentLine(edition_id=edition.id)
        line.qty, line.unit_price_minor = qty, price
        kept.append(line)
    shipment.lines = kept
    shipment.carrier = _text(carrier, "carrier", 100)
    shipment.tracking_number = _text(tracking_number, "tracking number", 100)
    shipment.expected_on = check_day(expected_on, "The expected arrival")
    shipment.document.note = _text(note, "note", 2000, multiline=True)
    session.flush()
    return shipment


@atomic
def dispatch(
    session: Session, actor: object, shipment_id: int, *, when: date | datetime | None = None
) -> Shipment:
    """The copies leave: origin -> in transit. Nothing moves if the origin lacks any."""
    shipment = get(session, actor, shipment_id)
    _require(can_manage(actor, shipment), "Only distribution staff dispatch this shipment.")
    now = documents.occurred_at(when)
    _transition(
        session,
        shipment,
        {S.DRAFT},
        S.DISPATCHED,
        "dispatched",
        dispatched_at=now,
        dispatched_by_id=actor_id(actor),
    )
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
    return shipment


@atomic
def cancel(session: Session, actor: object, shipment_id: int) -> Shipment:
    shipment = get(session, actor, shipment_id)
    _require(can_manage(actor, shipment), "Only distribution staff cancel this shipment.")
    _transition(session, shipment, {S.DRAFT}, S.CANCELLED, "cancelled", cancelled_at=utcnow())
    return shipment


@atomic
def receive(
    session: Session,
    actor: object,
    shipment_id: int,
    lines: list[ReceiptInput],
    *,
    key: str | None = None,
    note: str | None = None,
    when: date | datetime | None = None,
) -> Receipt:
    """Count what arrived. Damaged copies are written off, missing ones written off as
    lost; what is not counted stays in transit until a later receipt."""
    shipment = get(session, actor, shipment_id)
    _require(can_receive(actor, shipment), "Only distribution staff receive returns.")
    documents.check_key(session, key)
    check_state(shipment, {S.DISPATCHED, S.PARTLY_RECEIVED}, "received")
    by_id = {line.id: line for line in shipment.lines}
    counted = [entry for entry in lines if entry.received or entry.damaged or entry.missing]
    if not counted:
        raise DomainError("Nothing to receive: give the copies received, damaged or missing.")
    written_off = (
        shipment.section.location_of_kind(LocationKind.WRITTEN_OFF)
        if shipment.direction == Direction.OUTBOUND
        else publisher_location(session, LocationKind.WRITTEN_OFF)
    )
    at = _received_at(shipment, when)
    moves = []
    reasons: dict[int, str | None] = {}
    for entry in counted:
        line = by_id.get(entry.line_id)
        if line is None:
            raise DomainError(f"Line {entry.line_id} is not on shipment #{shipment.id}.")
        label = line.edition.label
        _text(entry.note, f"note on {label}", 500)
        for field, value in (
            ("received", entry.received),
            ("damaged", entry.damaged),
            ("missing", entry.missing),
        ):
            check_quantity(value, label, zero=True, what=f"copies {field}")
        total = entry.received + entry.damaged + entry.missing
        if total > line.outstanding:
            raise DomainError(
                f"{label}: {total:,} counted, but only {copies(line.outstanding)} of the "
                f"{line.qty:,} sent are still to be accounted for."
            )
        reason = None
        if entry.damaged or entry.missing:
            try:
                reason = DiscrepancyReason(entry.reason or "")
            except ValueError:
                raise DomainError(
                    f"{label}: say why copies are damaged or missing (damaged in transit, "
                    "missing, held by customs, or other with a note)."
                ) from None
            if reason == DiscrepancyReason.OTHER and not (entry.note or "").strip():
                raise DomainError(f"{label}: 'other' needs a note saying what happened.")
        reasons[entry.line_id] = reason.value if reason else None
        moves += _receipt_moves(shipment, line, entry, written_off.id, reasons[entry.line_id])
    document = documents.start(session, actor, "receipt", key=key, note=note)
    receipt = Receipt(document_id=document.id, shipment_id=shipment.id, received_at=at)

    session.add(receipt)
    for entry in counted:
        _count_in(session, shipment, by_id[entry.line_id], entry)
        receipt.lines.append(
            ReceiptLine(
                shipment_line_id=entry.line_id,
                received=entry.received,
                damaged=entry.damaged,
                missing=entry.missing,
                reason=reasons[entry.line_id],
                note=(entry.note or "").strip() or None,
            )
        )
    session.flush()
    ledger.post(
        session, document, moves, created_by_id=actor_id(actor), savepoint=False, occurred_at=at
    )
    for line in shipment.lines:
        session.refresh(line)  # the counts were written by SQL, not through the objects
    complete = all(line.outstanding == 0 for line in shipment.lines)

    _transition(
        session,
        shipment,
        {S.DISPATCHED, S.PARTLY_RECEIVED},
        S.RECEIVED if complete else S.PARTLY_RECEIVED,
        "received",
        **({"received_at": at} if complete else {}),
    )
    return receipt


def _received_at(shipment: Shipment, when: date | datetime | None) -> datetime:
    """When the copies arrived: never before they left. A receipt dated by its day only,
    on the day of the dispatch, is dated at the dispatch."""
    at = documents.occurred_at(when)
    left = shipment.dispatched_at
    if left is None or at >= left:
        return at
    if not isinstance(when, datetime) and at.date() == left.date():
        return left
    raise DomainError(
        f"Shipment #{shipment.id} was dispatched on {left:%d %b %Y}: it cannot have "
        f"been received before that, on {at:%d %b %Y}."
    )


def _receipt_moves(
    shipment: Shipment,
    line: ShipmentLine,
    entry: ReceiptInput,
    written_off_id: int,
    reason: str | None,
) -> list[MoveLine]:
    moves = []
    if entry.received:
        moves.append(
            MoveLine(
                MoveKind.RECEIPT,
                line.edition_id,
                entry.received,
                shipment.transit_location_id,
                shipment.to_location_id,
            )
        )
    for qty, what in ((entry.damaged, "damaged"), (entry.missing, "missing")):
        if qty:
            note = f"{what}: {reason.replace('_', ' ')}" if reason else what
            if entry.note:
                note += f" ({entry.note.strip()})"
            moves.append(
                MoveLine(
                    MoveKind.TRANSIT_LOSS,
                    line.edition_id,
                    qty,
                    shipment.transit_location_id,
                    written_off_id,
                    Condition.UNSIGNED,
                    note=note,
                )
            )
    return moves


def _count_in(
    session: Session, shipment: Shipment, line: ShipmentLine, entry: ReceiptInput
) -> None:
    """Add to the line's counts, unless someone else counted those copies first."""
    total = entry.received + entry.damaged + entry.missing
    result = session.execute(
        update(_lines)
        .where(
            _lines.c.id == line.id,
            _lines.c.received_qty + _lines.c.damaged_qty + _lines.c.missing_qty + total
            <= _lines.c.qty,
        )
        .values(
            received_qty=_lines.c.received_qty + entry.received,
            damaged_qty=_lines.c.damaged_qty + entry.damaged,
            missing_qty=_lines.c.missing_qty + entry.missing,
        )
    )
    if result.rowcount != 1:
        session.refresh(line)
        raise WrongState(
            f"{line.edition.label}: these copies were counted by someone else meanwhile; "
            f"{copies(line.outstanding)} are still to be accounted for."
        )


def days_in_transit(shipment: Shipment, today: date) -> int | None:
    if shipment.dispatched_at is None:
        return None
    end = shipment.received_at.date() if shipment.received_at else today
    return (end - shipment.dispatched_at.date()).days


def is_overdue(shipment: Shipment, today: date) -> bool:
    return (
        shipment.status in (S.DISPATCHED, S.PARTLY_RECEIVED)
        and shipment.expected_on is not None
        and shipment.expected_on < today
    )
