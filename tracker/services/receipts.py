"""Receipts of shipments: what arrived, what arrived damaged, what never came. Damaged
and missing copies are written off as lost in transit; what is not yet counted stays in
transit until a later receipt. Each receipt adds to the shipment's lines with a
conditional UPDATE, so that two receipts never count the same copy twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.db import rowcount, table_of
from tracker.domain.accounts import Actor, actor_id
from tracker.domain.distribution import (
    CAN,
    Direction,
    DiscrepancyReason,
    ShipmentStatus,
    WrongState,
    check_state,
    may_receive,
    received_at,
)
from tracker.domain.errors import DomainError, about
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition, MoveKind, check_quantity
from tracker.domain.text import clean
from tracker.domain.words import number, say, say_n
from tracker.ledger import MoveLine
from tracker.models import Location, Receipt, ReceiptLine, Shipment, ShipmentLine
from tracker.services import atomic, documents, notifications
from tracker.services.places import publisher_location
from tracker.services.shipments import get, transition

_lines = table_of(ShipmentLine)


@dataclass(frozen=True)
class ReceiptInput:
    line_id: int
    received: int = 0
    damaged: int = 0
    missing: int = 0
    reason: str | None = None
    note: str | None = None

    @property
    def total(self) -> int:
        return self.received + self.damaged + self.missing


def _reason(label: str, entry: ReceiptInput) -> str | None:
    """Why copies are damaged or missing: required when any are."""
    if not (entry.damaged or entry.missing):
        return None
    try:
        reason = DiscrepancyReason(entry.reason or "")
    except ValueError:
        raise DomainError(
            say(
                "%(edition)s: say why copies are damaged or missing (damaged in transit, "
                "missing, held by customs, or other with a note).",
                edition=label,
            )
        ) from None
    if reason == DiscrepancyReason.OTHER and not (entry.note or "").strip():
        raise DomainError(
            say("%(edition)s: 'other' needs a note saying what happened.", edition=label)
        )
    return reason.value


def _check_entry(line: ShipmentLine, entry: ReceiptInput) -> str | None:
    """The entry's reason, once its counts fit what is still to be accounted for."""
    label = line.edition.label
    with about("note"):
        clean(entry.note, say("the note on %(edition)s", edition=label), 500)
    for field, what in (
        ("received", say("copies received")),
        ("damaged", say("copies damaged")),
        ("missing", say("copies missing")),
    ):
        with about(field):
            check_quantity(getattr(entry, field), label, zero=True, what=what)
    if entry.total > line.outstanding:
        raise DomainError(
            say_n(
                "%(edition)s: %(total)s counted, but only %(n)s copy of the %(sent)s sent are "
                "still to be accounted for.",
                "%(edition)s: %(total)s counted, but only %(n)s copies of the %(sent)s sent are "
                "still to be accounted for.",
                line.outstanding,
                edition=label,
                total=number(entry.total),
                n=number(line.outstanding),
                sent=number(line.qty),
            )
        )
    with about("reason"):
        return _reason(label, entry)


def _written_off(session: Session, shipment: Shipment) -> Location:
    """Where copies lost on the way are written off: the receiving side's."""
    if shipment.direction == Direction.OUTBOUND:
        return shipment.section.location_of_kind(LocationKind.WRITTEN_OFF)
    return publisher_location(session, LocationKind.WRITTEN_OFF)


@atomic
def receive(
    session: Session,
    actor: Actor | None,
    shipment_id: int,
    lines: list[ReceiptInput],
    *,
    key: str | None = None,
    note: str | None = None,
    when: date | datetime | None = None,
) -> Receipt:
    """Count what arrived, line by line. A wrong value is named as programs name it
    (``lines[1].damaged``, ``when``)."""
    shipment = get(session, actor, shipment_id)
    if not may_receive(actor, shipment.direction):
        raise DomainError(say("Only distribution staff receive returns."))
    documents.check_key(session, key)
    check_state(shipment.id, shipment.status, CAN["received"], "received")
    # Each with its place in what was sent, to name it (lines left empty are skipped).
    counted = [
        (index, entry)
        for index, entry in enumerate(lines)
        if entry.received or entry.damaged or entry.missing
    ]
    if not counted:
        with about("lines"):
            raise DomainError(
                say("Nothing to receive: give the copies received, damaged or missing.")
            )
    with about("when"):
        at = received_at(
            shipment.id,
            shipment.dispatched_at,
            documents.occurred_at(session, when),
            day_only=not isinstance(when, datetime),
        )
    with about("note"):
        note = clean(note, say("the note"), 2000, multiline=True)
    by_id = {line.id: line for line in shipment.lines}
    written_off = _written_off(session, shipment)
    moves: list[MoveLine] = []
    reasons: dict[int, str | None] = {}
    for index, entry in counted:
        with about(f"lines[{index}]"):
            line = by_id.get(entry.line_id)
            if line is None:
                with about("line"):
                    raise DomainError(
                        say(
                            "Line %(line)s is not on shipment #%(shipment)s.",
                            line=entry.line_id,
                            shipment=shipment.id,
                        )
                    )
            reasons[entry.line_id] = _check_entry(line, entry)
        moves += _moves(shipment, line, entry, written_off.id, reasons[entry.line_id])
    document = documents.start(session, actor, "receipt", key=key, note=note, occurred_at=at)
    receipt = Receipt(document_id=document.id, shipment_id=shipment.id, received_at=at)
    session.add(receipt)
    for _index, entry in counted:
        _count_in(session, by_id[entry.line_id], entry)
        receipt.lines.append(_receipt_line(entry, reasons[entry.line_id]))
    session.flush()
    ledger.post(
        session, document, moves, created_by_id=actor_id(actor), savepoint=False, occurred_at=at
    )
    _move_on(session, shipment, at)
    # Damaged or missing copies: distribution staff hear of it (queued with the receipt).
    notifications.receipt_counted(session, actor, receipt)
    return receipt


def _receipt_line(entry: ReceiptInput, reason: str | None) -> ReceiptLine:
    return ReceiptLine(
        shipment_line_id=entry.line_id,
        received=entry.received,
        damaged=entry.damaged,
        missing=entry.missing,
        reason=reason,
        note=(entry.note or "").strip() or None,
    )


def _move_on(session: Session, shipment: Shipment, at: datetime) -> None:
    """Received whole, or in part, once this receipt's counts are in."""
    for line in shipment.lines:
        session.refresh(line)  # the counts were written by SQL, not through the objects
    complete = all(line.outstanding == 0 for line in shipment.lines)
    if complete:
        transition(session, shipment, ShipmentStatus.RECEIVED, "received", received_at=at)
    else:
        transition(session, shipment, ShipmentStatus.PARTLY_RECEIVED, "received")


def _moves(
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


def _count_in(session: Session, line: ShipmentLine, entry: ReceiptInput) -> None:
    """Add to the line's counts, unless someone else counted those copies first."""
    result = session.execute(
        update(_lines)
        .where(
            _lines.c.id == line.id,
            _lines.c.received_qty + _lines.c.damaged_qty + _lines.c.missing_qty + entry.total
            <= _lines.c.qty,
        )
        .values(
            received_qty=_lines.c.received_qty + entry.received,
            damaged_qty=_lines.c.damaged_qty + entry.damaged,
            missing_qty=_lines.c.missing_qty + entry.missing,
        )
    )
    if rowcount(result) != 1:
        session.refresh(line)
        raise WrongState(
            say_n(
                "%(edition)s: these copies were counted by someone else meanwhile; "
                "%(n)s copy are still to be accounted for.",
                "%(edition)s: these copies were counted by someone else meanwhile; "
                "%(n)s copies are still to be accounted for.",
                line.outstanding,
                edition=line.edition.label,
                n=number(line.outstanding),
            )
        )
