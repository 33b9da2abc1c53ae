"""Documents that move copies at once: deliveries from the printer, transfers between
places, write-offs, and stocktakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.distribution import WriteOffReason
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.places import PHYSICAL_KINDS, LocationKind
from tracker.domain.stock import Condition, MoveKind, check_quantity
from tracker.domain.text import clean
from tracker.ledger import MoveLine
from tracker.models import (
    Balance,
    Document,
    Edition,
    Location,
    Stocktake,
    StocktakeLine,
    Transfer,
    WriteOff,
)
from tracker.services import actor_id, atomic, documents, fenced_section, is_staff
from tracker.services.places import publisher_location


@dataclass(frozen=True)
class Copies:
    """So many copies of an edition in a condition."""

    edition_id: int
    qty: int
    condition: str = Condition.UNSIGNED


def _place(session: Session, actor: object, location_id: int | None, what: str) -> Location:
    """A physical location the actor may act on (a treasurer: only their section's)."""
    location = session.get(Location, location_id) if location_id is not None else None
    fence = fenced_section(actor)
    if location is None or (fence is not None and location.section_id != fence):
        raise NotFound(f"There is no location {location_id} to {what}.")
    if location.kind not in PHYSICAL_KINDS:
        raise DomainError(f"{location.name} is not a place where copies are kept.")
    return location


def _virtual(session: Session, place: Location, kind: LocationKind) -> Location:
    """The virtual location of ``kind`` that belongs with a place: its section's, or the
    publisher's for the warehouse."""
    if place.section is not None:
        return place.section.location_of_kind(kind)
    return publisher_location(session, kind)


def _lines(copies: list[Copies]) -> list[Copies]:
    wanted = [c for c in copies if c.qty]
    if not wanted:
        raise DomainError("Give a number of copies for at least one edition.")
    return wanted


@atomic
def record_print_run(
    session: Session,
    actor: object,
    *,
    edition_id: int,
    qty: int,
    when: date | datetime | None = None,
    reference: str | None = None,
    note: str | None = None,
    key: str | None = None,
) -> Document:
    """A delivery from the printer into the warehouse."""
    if not is_staff(actor):
        raise DomainError("Only distribution staff record deliveries from the printer.")
    if not (reference or "").strip():
        raise DomainError("Give the delivery's reference: the print run or invoice number.")
    if session.get(Edition, edition_id) is None:
        raise DomainError(f"There is no edition {edition_id}.")
    at = documents.occurred_at(when)
    document = documents.start(session, actor, "print_run", key=key, reference=reference, note=note)
    ledger.post(
        session,
        document,
        [
            MoveLine(
                MoveKind.PRINT_RUN,
                edition_id,
                qty,
                publisher_location(session, LocationKind.PRINTER).id,
                publisher_location(session, LocationKind.WAREHOUSE).id,
            )
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=at,
    )
    return document


@atomic
def transfer(
    session: Session,
    actor: object,
    *,
    from_location_id: int,
    to_location_id: int,
    lines: list[Copies],
    note: str | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> Transfer:
    """Copies from one of a section's places to another (a store and an event table),
    or between two sections' places (distribution staff only). The warehouse sends and
    receives by shipments."""
    source = _place(session, actor, from_location_id, "take copies from")
    target = _place(session, actor, to_location_id, "put copies in")
    for place in (source, target):
        if place.kind == LocationKind.WAREHOUSE:
            raise DomainError("Copies leave and enter the warehouse by shipments, not transfers.")
    if source.id == target.id:
        raise DomainError("Choose two different places: copies cannot go where they are.")
    if source.section_id != target.section_id and not is_staff(actor):
        raise DomainError("Only distribution staff move copies from one section to another.")
    at = documents.occurred_at(when)
    document = documents.start(session, actor, "transfer", key=key, note=note)
    record = Transfer(document_id=document.id, from_location_id=source.id, to_location_id=target.id)
    session.add(record)
    session.flush()
    ledger.post(
        session,
        document,
        [
            MoveLine(MoveKind.TRANSFER, c.edition_id, c.qty, source.id, target.id, c.condition)
            for c in _lines(lines)
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=at,
    )
    return record


@atomic
def write_off(
    session: Session,
    actor: object,
    *,
    location_id: int,
    reason: str,
    lines: list[Copies],
    note: str | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> WriteOff:
    """Copies that leave stock without a sale: damaged, lost, given, sent for review."""
    place = _place(session, actor, location_id, "write copies off from")
    try:
        why = WriteOffReason(reason)
    except ValueError:
        known = ", ".join(r.label for r in WriteOffReason)
        raise DomainError(f"Say why the copies are written off ({known}).") from None
    if why in (WriteOffReason.DAMAGED, WriteOffReason.LOST) and not (note or "").strip():
        raise DomainError(f"Copies written off as {why.label} need a note saying what happened.")
    at = documents.occurred_at(when)
    document = documents.start(session, actor, "write_off", key=key, note=note)
    record = WriteOff(document_id=document.id, location_id=place.id, reason=why.value)
    session.add(record)
    session.flush()
    written_off = _virtual(session, place, LocationKind.WRITTEN_OFF)
    ledger.post(
        session,
        document,
        [
            MoveLine(
                MoveKind.WRITE_OFF,
                c.edition_id,
                c.qty,
                place.id,
                written_off.id,
                c.condition,
                note=why.label,
            )
            for c in _lines(lines)
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=at,
    )
    return record


@atomic
def stocktake(
    session: Session,
    actor: object,
    *,
    location_id: int,
    counts: list[Copies],
    blind: bool = False,
    reason: str | None = None,
    note: str | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> Stocktake:
    """Book a count of a location. The expected figures are the ledger's at booking
    time (locked, so that no sale slips in between); each difference becomes a move
    from or to stocktake differences, explained by ``reason``."""
    place = _place(session, actor, location_id, "count")
    if not counts:
        raise DomainError("Count at least one edition.")
    for count in counts:
        check_quantity(count.qty, zero=True, what="the count")
        if session.get(Edition, count.edition_id) is None:
            raise DomainError(f"There is no edition {count.edition_id}.")
        if count.condition not in (Condition.UNSIGNED, Condition.SIGNED):
            raise DomainError(f"{count.condition!r} is not a condition (unsigned or signed).")
    keys = [(c.edition_id, str(c.condition)) for c in counts]
    if len(set(keys)) != len(keys):
        raise DomainError("An edition and condition was counted twice: give one count for each.")
    # Lock the balances being counted (PostgreSQL; SQLite holds the write lock already).
    locked = session.execute(
        select(Balance.edition_id, Balance.condition, Balance.qty)
        .where(Balance.location_id == place.id)
        .with_for_update()
    ).all()
    expected = {(row.edition_id, row.condition): row.qty for row in locked}
    differences = [(c, c.qty - expected.get((c.edition_id, str(c.condition)), 0)) for c in counts]
    reason = clean(reason, "reason for the difference", 2000, multiline=True)
    if any(diff for _c, diff in differences) and not reason:
        raise DomainError("The count differs from the ledger: give a reason for the difference.")
    at = documents.occurred_at(when)
    document = documents.start(session, actor, "stocktake", key=key, note=note)
    record = Stocktake(
        document_id=document.id,
        location_id=place.id,
        blind=blind,
        reason=reason,
    )
    for count, _diff in differences:
        record.lines.append(
            StocktakeLine(
                edition_id=count.edition_id,
                condition=str(count.condition),
                expected=expected.get((count.edition_id, str(count.condition)), 0),
                counted=count.qty,
            )
        )
    session.add(record)
    session.flush()
    differences_place = _virtual(session, place, LocationKind.STOCKTAKE_DIFFERENCES)
    moves = []
    for count, diff in differences:
        if diff > 0:
            moves.append(
                MoveLine(
                    MoveKind.STOCKTAKE_GAIN,
                    count.edition_id,
                    diff,
                    differences_place.id,
                    place.id,
                    count.condition,
                    note=reason,
                )
            )
        elif diff < 0:
            moves.append(
                MoveLine(
                    MoveKind.STOCKTAKE_LOSS,
                    count.edition_id,
                    -diff,
                    place.id,
                    differences_place.id,
                    count.condition,
                    note=reason,
                )
            )
    if moves:
        ledger.post(
            session, document, moves, created_by_id=actor_id(actor), savepoint=False, occurred_at=at
        )
    return record
