"""Lists of the distribution's documents: shipments, transfers, write-offs, stocktakes,
deliveries from the printer; newest first, a page at a time, or read in chunks for an
export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from tracker.domain.distribution import IN_TRANSIT
from tracker.domain.stock import Condition, MoveKind
from tracker.domain.words import number, say
from tracker.models import (
    Document,
    Edition,
    Location,
    Move,
    Section,
    Shipment,
    ShipmentLine,
    Stocktake,
    StocktakeLine,
    Transfer,
    WriteOff,
)
from tracker.queries.stock import moves_of_documents

# Rows read at a time by the exports of whole tables.
CHUNK = 500


def shipment_moves(session: Session, shipment: Shipment) -> list[Move]:
    """The moves of a shipment's dispatch and of its receipts, in order."""
    ids = [shipment.document_id, *(r.document_id for r in shipment.receipts)]
    return moves_of_documents(session, ids)


def overdue_shipments(
    session: Session,
    today: date,
    *,
    section_ids: Sequence[int] | None = None,
    direction: str | None = None,
) -> list[Shipment]:
    """Shipments still on their way after the day they were expected, as of ``today``
    (``domain.distribution.is_overdue``, in SQL), the longest overdue first; of some
    sections only, or of one direction, when asked."""
    query = select(Shipment).where(
        Shipment.status.in_([s.value for s in IN_TRANSIT]), Shipment.expected_on < today
    )
    if section_ids is not None:
        query = query.where(Shipment.section_id.in_(section_ids))
    if direction is not None:
        query = query.where(Shipment.direction == direction)
    return list(session.scalars(query.order_by(Shipment.expected_on, Shipment.document_id)))


def shipments(
    session: Session,
    *,
    section_scope: int | None = None,
    status: str | None = None,
    section_id: int | None = None,
    country: str | None = None,
    direction: str | None = None,
    since: date | None = None,
    until: date | None = None,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[Shipment]:
    """Shipments, newest first; dated by dispatch (drafts by creation)."""
    when = func.coalesce(Shipment.dispatched_at, Document.created_at)
    query = (
        select(Shipment)
        .join(Shipment.document)
        .join(Shipment.section)
        .options(
            contains_eager(Shipment.document),
            contains_eager(Shipment.section).joinedload(Section.country),
            selectinload(Shipment.lines).joinedload(ShipmentLine.edition).joinedload(Edition.title),
            joinedload(Shipment.from_location),
            joinedload(Shipment.to_location),
        )
        .order_by(Shipment.document_id.desc())
    )
    if section_scope is not None:
        query = query.where(Shipment.section_id == section_scope)
    if status:
        query = query.where(Shipment.status == status)
    if section_id is not None:
        query = query.where(Shipment.section_id == section_id)
    if country:
        query = query.where(Section.country_code == country)
    if direction:
        query = query.where(Shipment.direction == direction)
    if since is not None:
        query = query.where(when >= datetime.combine(since, time.min, UTC))
    if until is not None:
        query = query.where(when < datetime.combine(until + timedelta(days=1), time.min, UTC))
    if before_id is not None:
        query = query.where(Shipment.document_id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).unique())


# What a MovementRow details.
_Detail = TypeVar("_Detail", Transfer, WriteOff)
_R = TypeVar("_R")


@dataclass
class MovementRow(Generic[_Detail]):
    """A document that moved copies at once, for the lists of transfers and write-offs."""

    document: Document
    copies: int
    editions: str
    detail: _Detail


def _movement_rows(session: Session, records: Sequence[_Detail]) -> list[MovementRow[_Detail]]:
    if not records:
        return []
    ids = [r.document_id for r in records]
    totals: dict[int, int] = defaultdict(int)
    names: dict[int, list[str]] = defaultdict(list)
    for move in session.scalars(
        select(Move)
        .where(Move.document_id.in_(ids))
        .options(joinedload(Move.edition).joinedload(Edition.title))
    ):
        totals[move.document_id] += move.qty
        values = {"qty": number(move.qty), "edition": move.edition.label}
        label = (
            say("%(qty)s × %(edition)s (signed)", **values)  # noqa: RUF001
            if move.from_condition == Condition.SIGNED
            else say("%(qty)s × %(edition)s", **values)  # noqa: RUF001
        )

        names[move.document_id].append(label)
    return [
        MovementRow(r.document, totals[r.document_id], "; ".join(names[r.document_id]), r)
        for r in records
    ]


def _transfers_query(section_scope: int | None) -> Select[Transfer]:
    source = aliased(Location)
    target = aliased(Location)
    query = (
        select(Transfer)
        .join(source, Transfer.from_location)
        .join(target, Transfer.to_location)
        .options(
            joinedload(Transfer.document).joinedload(Document.created_by),
            contains_eager(Transfer.from_location, alias=source),
            contains_eager(Transfer.to_location, alias=target),
        )
        .order_by(Transfer.document_id.desc())
    )
    if section_scope is not None:
        query = query.where(
            or_(source.section_id == section_scope, target.section_id == section_scope)
        )
    return query


def transfers(
    session: Session,
    *,
    section_scope: int | None = None,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[MovementRow[Transfer]]:
    query = _transfers_query(section_scope)
    if before_id is not None:
        query = query.where(Transfer.document_id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return _movement_rows(session, list(session.scalars(query).unique()))


def _in_chunks(session: Session, query: Select[_R], chunk: int) -> Iterator[Sequence[_R]]:
    """The query's objects, ``chunk`` at a time, read as they are asked for."""
    yield from session.scalars(query.execution_options(yield_per=chunk)).partitions()


def all_transfers(
    session: Session, *, section_scope: int | None = None, chunk: int = CHUNK
) -> Iterator[MovementRow[Transfer]]:
    """Every transfer, newest first, read ``chunk`` at a time (two queries a chunk)."""
    for records in _in_chunks(session, _transfers_query(section_scope), chunk):
        yield from _movement_rows(session, records)


def _write_offs_query(section_scope: int | None) -> Select[WriteOff]:
    query = (
        select(WriteOff)
        .join(WriteOff.location)
        .options(
            joinedload(WriteOff.document).joinedload(Document.created_by),
            contains_eager(WriteOff.location),
        )
        .order_by(WriteOff.document_id.desc())
    )
    if section_scope is not None:
        query = query.where(Location.section_id == section_scope)
    return query


def write_offs(
    session: Session,
    *,
    section_scope: int | None = None,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[MovementRow[WriteOff]]:
    query = _write_offs_query(section_scope)
    if before_id is not None:
        query = query.where(WriteOff.document_id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return _movement_rows(session, list(session.scalars(query).unique()))


def all_write_offs(
    session: Session, *, section_scope: int | None = None, chunk: int = CHUNK
) -> Iterator[MovementRow[WriteOff]]:
    """Every write-off, newest first, read ``chunk`` at a time (two queries a chunk)."""
    for records in _in_chunks(session, _write_offs_query(section_scope), chunk):
        yield from _movement_rows(session, records)


def _stocktakes_query(section_scope: int | None) -> Select[Stocktake]:
    query = (
        select(Stocktake)
        .join(Stocktake.location)
        .options(
            joinedload(Stocktake.document).joinedload(Document.created_by),
            contains_eager(Stocktake.location),
            selectinload(Stocktake.lines)
            .joinedload(StocktakeLine.edition)
            .joinedload(Edition.title),
        )
        .order_by(Stocktake.document_id.desc())
    )
    if section_scope is not None:
        query = query.where(Location.section_id == section_scope)
    return query


def stocktakes(
    session: Session,
    *,
    section_scope: int | None = None,
    before_id: int | None = None,
    limit: int | None = None,
) -> list[Stocktake]:
    query = _stocktakes_query(section_scope)
    if before_id is not None:
        query = query.where(Stocktake.document_id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query).unique())


def all_stocktakes(
    session: Session, *, section_scope: int | None = None, chunk: int = CHUNK
) -> Iterator[Stocktake]:
    """Every stocktake with its lines, newest first, read ``chunk`` at a time (two
    queries a chunk)."""
    for records in _in_chunks(session, _stocktakes_query(section_scope), chunk):
        yield from records


@dataclass
class PrintRunRow:
    document: Document
    edition: Edition
    copies: int
    occurred_at: datetime


def _print_runs_query() -> Select[Move]:
    return (
        select(Move)
        .where(Move.kind == MoveKind.PRINT_RUN)
        .options(
            joinedload(Move.document).joinedload(Document.created_by),
            joinedload(Move.edition).joinedload(Edition.title),
        )
        .order_by(Move.document_id.desc())
    )


def print_runs(
    session: Session, *, before_id: int | None = None, limit: int | None = None
) -> list[PrintRunRow]:
    query = _print_runs_query()
    if before_id is not None:
        query = query.where(Move.document_id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return [
        PrintRunRow(m.document, m.edition, m.qty, m.occurred_at) for m in session.scalars(query)
    ]


def all_print_runs(session: Session, *, chunk: int = CHUNK) -> Iterator[PrintRunRow]:
    """Every delivery from the printer, newest first, read ``chunk`` at a time."""
    for moves in _in_chunks(session, _print_runs_query(), chunk):
        for m in moves:
            yield PrintRunRow(m.document, m.edition, m.qty, m.occurred_at)
