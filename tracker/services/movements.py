"""Documents that move copies at once: deliveries from the printer, transfers between
places, write-offs, and stocktakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.accounts import Actor, actor_id, is_staff
from tracker.domain.distribution import WriteOffReason
from tracker.domain.errors import DomainError, about, about_line
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition, MoveKind, check_quantity
from tracker.domain.text import clean
from tracker.domain.words import one_of, say
from tracker.ledger import MoveLine, past
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
from tracker.services import atomic, documents
from tracker.services.places import physical_place, publisher_location, virtual_of


@dataclass(frozen=True)
class Copies:
    """So many copies of an edition in a condition."""

    edition_id: int
    qty: int
    condition: str = Condition.UNSIGNED


def _lines(session: Session, copies: list[Copies]) -> list[Copies]:
    """The lines with copies (a form's empty rows left out), each checked and, when
    wrong, named as programs name it (``lines[1].copies``)."""
    wanted = [(index, c) for index, c in enumerate(copies) if c.qty]
    if not wanted:
        with about("lines"):
            raise DomainError(say("Give a number of copies for at least one edition."))
    for index, line in wanted:
        with about(f"lines[{index}]"):
            _check_copies(session, line)
    return [c for _index, c in wanted]


def _check_copies(session: Session, copies: Copies, *, what: str | None = None) -> None:
    """So many copies of an edition in a condition, or a DomainError naming the value."""
    with about("edition"):
        if session.get(Edition, copies.edition_id) is None:
            raise DomainError(say("There is no edition %(id)s.", id=copies.edition_id))
    with about("condition"):
        if copies.condition not in (Condition.UNSIGNED, Condition.SIGNED):
            raise DomainError(
                say(
                    "%(condition)s is not a condition (unsigned or signed).",
                    condition=repr(copies.condition),
                )
            )
    with about("copies"):
        check_quantity(copies.qty, zero=what is not None, what=what)


def _post_lines(
    session: Session,
    document: Document,
    moves: list[MoveLine],
    copies: list[Copies],
    actor: Actor | None,
    at: datetime,
) -> None:
    """Post a document's moves, one for each of its lines with copies (``copies``, as
    they were sent): a place short of copies names the line (``lines[1]``)."""
    with about_line([(c.edition_id, str(c.condition)) if c.qty else (0, "") for c in copies]):
        ledger.post(
            session, document, moves, created_by_id=actor_id(actor), savepoint=False, occurred_at=at
        )


@atomic
def record_print_run(
    session: Session,
    actor: Actor | None,
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
        raise DomainError(say("Only distribution staff record deliveries from the printer."))
    if not (reference or "").strip():
        raise DomainError(say("Give the delivery's reference: the print run or invoice number."))
    if session.get(Edition, edition_id) is None:
        raise DomainError(say("There is no edition %(id)s.", id=edition_id))
    at = documents.occurred_at(session, when)
    document = documents.start(
        session, actor, "print_run", key=key, reference=reference, note=note, occurred_at=at
    )
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
    actor: Actor | None,
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
    receives by shipments. A wrong value is named as programs name it (``from``,
    ``lines[0].copies``...)."""
    with about("from"):
        source = physical_place(
            session,
            actor,
            from_location_id,
            say("There is no location %(id)s to take copies from.", id=from_location_id),
        )
    with about("to"):
        target = physical_place(
            session,
            actor,
            to_location_id,
            say("There is no location %(id)s to put copies in.", id=to_location_id),
        )
    for name, place in (("from", source), ("to", target)):
        if place.kind == LocationKind.WAREHOUSE:
            with about(name):
                raise DomainError(
                    say("Copies leave and enter the warehouse by shipments, not transfers.")
                )
    with about("to"):
        if source.id == target.id:
            raise DomainError(say("Choose two different places: copies cannot go where they are."))
        if source.section_id != target.section_id and not is_staff(actor):
            raise DomainError(
                say("Only distribution staff move copies from one section to another.")
            )
    wanted = _lines(session, lines)
    with about("when"):
        at = documents.occurred_at(session, when)
    with about("note"):
        note = clean(note, say("the note"), 2000, multiline=True)
    document = documents.start(session, actor, "transfer", key=key, note=note, occurred_at=at)
    record = Transfer(document_id=document.id, from_location_id=source.id, to_location_id=target.id)
    session.add(record)
    session.flush()
    _post_lines(
        session,
        document,
        [
            MoveLine(MoveKind.TRANSFER, c.edition_id, c.qty, source.id, target.id, c.condition)
            for c in wanted
        ],
        lines,
        actor,
        at,
    )
    return record


@atomic
def write_off(
    session: Session,
    actor: Actor | None,
    *,
    location_id: int,
    reason: str,
    lines: list[Copies],
    note: str | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> WriteOff:
    """Copies that leave stock without a sale: damaged, lost, given, sent for review. A
    wrong value is named as programs name it (``place``, ``lines[0].copies``...)."""
    with about("place"):
        place = physical_place(
            session,
            actor,
            location_id,
            say("There is no location %(id)s to write copies off from.", id=location_id),
        )
    with about("reason"):
        try:
            why = WriteOffReason(reason)
        except ValueError:
            known = one_of([r.label for r in WriteOffReason])
            raise DomainError(
                say("Say why the copies are written off (%(known)s).", known=known)
            ) from None
    with about("note"):
        note = clean(note, say("the note"), 2000, multiline=True)
        if why in (WriteOffReason.DAMAGED, WriteOffReason.LOST) and not note:
            raise DomainError(
                say(
                    "Copies written off as %(reason)s need a note saying what happened.",
                    reason=why.label,
                )
            )
    wanted = _lines(session, lines)
    with about("when"):
        at = documents.occurred_at(session, when)
    document = documents.start(session, actor, "write_off", key=key, note=note, occurred_at=at)
    record = WriteOff(document_id=document.id, location_id=place.id, reason=why.value)
    session.add(record)
    session.flush()
    written_off = virtual_of(session, place, LocationKind.WRITTEN_OFF)
    _post_lines(
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
            for c in wanted
        ],
        lines,
        actor,
        at,
    )
    return record


def _check_counts(session: Session, counts: list[Copies]) -> None:
    if not counts:
        raise DomainError(say("Count at least one edition."))
    for index, count in enumerate(counts):
        with about(f"lines[{index}]"):
            _check_copies(session, count, what=say("the count"))
    keys = [(c.edition_id, str(c.condition)) for c in counts]
    if len(set(keys)) != len(keys):
        raise DomainError(
            say("An edition and condition was counted twice: give one count for each.")
        )


def _locked_stock(session: Session, place: Location) -> dict[tuple[int, str], int]:
    """What the ledger holds at a place, its balances locked until the count is booked
    (PostgreSQL; SQLite holds the write lock already): no sale slips in between."""
    return {
        (row.edition_id, row.condition): row.qty
        for row in session.execute(
            select(Balance.edition_id, Balance.condition, Balance.qty)
            .where(Balance.location_id == place.id)
            .with_for_update()
        )
    }


def _difference_moves(
    counts: list[Copies],
    expected: dict[tuple[int, str], int],
    place: Location,
    differences: Location,
    reason: str | None,
) -> list[MoveLine]:
    """A move from or to stocktake differences for each count that differs."""
    moves = []
    for count in counts:
        diff = count.qty - expected.get((count.edition_id, str(count.condition)), 0)
        if diff > 0:
            kind, source, target = MoveKind.STOCKTAKE_GAIN, differences.id, place.id
        elif diff < 0:
            kind, source, target = MoveKind.STOCKTAKE_LOSS, place.id, differences.id
        else:
            continue
        moves.append(
            MoveLine(
                kind, count.edition_id, abs(diff), source, target, count.condition, note=reason
            )
        )
    return moves


@atomic
def stocktake(
    session: Session,
    actor: Actor | None,
    *,
    location_id: int,
    counts: list[Copies],
    blind: bool = False,
    reason: str | None = None,
    note: str | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> Stocktake:
    """Book a count of a location. The expected figures are the ledger's at the moment
    it was counted; each difference becomes a move from or to stocktake differences, explained by
    ``reason``."""
    place = physical_place(
        session, actor, location_id, say("There is no location %(id)s to count.", id=location_id)
    )
    _check_counts(session, counts)
    at = documents.occurred_at(session, when)
    expected = _locked_stock(session, place)
    if any(
        row is not None and row > at
        for row in session.scalars(
            select(Balance.last_moved_at).where(Balance.location_id == place.id)
        )
    ):
        # Counted earlier than the place's latest moves: the count is against what the
        # ledger held then.
        expected = past.holdings_at(session, place.id, at)
    reason = clean(reason, say("the reason for the difference"), 2000, multiline=True)
    moves = _difference_moves(
        counts,
        expected,
        place,
        virtual_of(session, place, LocationKind.STOCKTAKE_DIFFERENCES),
        reason,
    )
    if moves and not reason:
        raise DomainError(
            say("The count differs from the ledger: give a reason for the difference.")
        )
    document = documents.start(session, actor, "stocktake", key=key, note=note, occurred_at=at)
    record = Stocktake(document_id=document.id, location_id=place.id, blind=blind, reason=reason)
    for count in counts:
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
    if moves:
        ledger.post(
            session, document, moves, created_by_id=actor_id(actor), savepoint=False, occurred_at=at
        )
    return record
