"""Where the copies are: stock by section and place, a place's balances and moves, a
document's moves. Figures come from the balances (kept with every posting), never
from summing the whole ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, func, literal, or_, select, tuple_, union
from sqlalchemy.orm import Session, contains_eager, joinedload

from tracker.db import UTCDateTime
from tracker.domain.events import TALLY_DOCUMENTS
from tracker.domain.places import PHYSICAL_KINDS, LocationKind
from tracker.domain.stock import Condition
from tracker.models import (
    Balance,
    Document,
    Edition,
    Location,
    Move,
    Receipt,
    Section,
)

K = LocationKind


@dataclass
class Stock:
    """Copies by condition."""

    unsigned: int = 0
    signed: int = 0

    @property
    def total(self) -> int:
        return self.unsigned + self.signed

    def add(self, condition: str, qty: int) -> None:
        if condition == Condition.SIGNED:
            self.signed += qty
        else:
            self.unsigned += qty


@dataclass
class LocationStock:
    location: Location
    stock: Stock = field(default_factory=Stock)


@dataclass
class PlaceRow:
    """The publisher, or one section: its stock by kind of place."""

    name: str
    country_code: str | None
    country_name: str | None
    section: Section | None
    in_transit: int = 0
    on_hand: Stock = field(default_factory=Stock)
    sold: int = 0
    signed: int = 0
    written_off: int = 0
    # Copies short (positive) or found (negative) at stocktakes, net.
    counted_short: int = 0
    locations: list[LocationStock] = field(default_factory=list)


@dataclass
class StockOverview:
    publisher: PlaceRow
    sections: list[PlaceRow]
    printed: int
    signed: int
    # Limited to one section (a treasurer's view): no publisher or world figures.
    scoped: bool = False

    @property
    def rows(self) -> list[PlaceRow]:
        return [self.publisher, *self.sections]

    @property
    def in_warehouse(self) -> int:
        return self.publisher.on_hand.total

    @property
    def in_transit(self) -> int:
        return sum(row.in_transit for row in self.rows)

    @property
    def with_sections(self) -> int:
        return sum(row.on_hand.total for row in self.sections)

    @property
    def sold(self) -> int:
        return sum(row.sold for row in self.rows)

    @property
    def written_off(self) -> int:
        return sum(row.written_off for row in self.rows)

    @property
    def counted_short(self) -> int:
        return sum(row.counted_short for row in self.rows)

    @property
    def section_totals(self) -> PlaceRow:
        total = PlaceRow("All sections", None, None, None)
        for row in self.sections:
            total.in_transit += row.in_transit
            total.on_hand.unsigned += row.on_hand.unsigned
            total.on_hand.signed += row.on_hand.signed
            total.sold += row.sold
            total.signed += row.signed
            total.written_off += row.written_off
        return total


def _quantities(
    session: Session, edition_id: int | None, section_id: int | None
) -> dict[int, Stock]:
    query = select(Balance.location_id, Balance.condition, func.sum(Balance.qty)).group_by(
        Balance.location_id, Balance.condition
    )
    if section_id is not None:
        query = query.join(Location, Location.id == Balance.location_id).where(
            Location.section_id == section_id
        )
    if edition_id is not None:
        query = query.where(Balance.edition_id == edition_id)
    quantities: dict[int, Stock] = defaultdict(Stock)
    for location_id, condition, qty in session.execute(query):
        quantities[location_id].add(condition, int(qty))
    return quantities


def _count(row: PlaceRow, location: Location, stock: Stock) -> None:
    """What a place adds to its section's (or the publisher's) row."""
    kind = location.kind
    if kind in PHYSICAL_KINDS:
        row.on_hand.unsigned += stock.unsigned
        row.on_hand.signed += stock.signed
        if location.active or stock.total:
            row.locations.append(LocationStock(location, stock))
    elif kind == K.IN_TRANSIT:
        row.in_transit += stock.total
    elif kind == K.CUSTOMERS:
        row.sold += stock.total
    elif kind == K.WRITTEN_OFF:
        row.written_off += stock.total
    elif kind == K.STOCKTAKE_DIFFERENCES:
        row.counted_short += stock.total
    row.signed += stock.signed


def stock_overview(
    session: Session, edition_id: int | None = None, section_id: int | None = None
) -> StockOverview:
    """Stock of one edition (or all) by section and location, from the balances; with
    ``section_id``, of that section only."""
    location_query = select(Location).options(
        joinedload(Location.section).joinedload(Section.country)
    )
    if section_id is not None:
        location_query = location_query.where(Location.section_id == section_id)
    quantities = _quantities(session, edition_id, section_id)
    publisher = PlaceRow("Publisher", None, None, None)
    by_section: dict[int, PlaceRow] = {}
    printed = 0
    for location in sorted(
        session.scalars(location_query), key=lambda loc: (loc.kind != K.WAREHOUSE, loc.name)
    ):
        stock = quantities.get(location.id, Stock())
        if location.kind == K.PRINTER:
            printed -= stock.total
            continue
        section = location.section
        row = publisher
        if section is not None:
            row = by_section.setdefault(
                section.id,
                PlaceRow(section.name, section.country_code, section.country.name, section),
            )
        _count(row, location, stock)
    sections = sorted(by_section.values(), key=lambda r: (r.country_name or "", r.name))
    return StockOverview(
        publisher=publisher,
        sections=sections,
        printed=printed,
        signed=sum(row.signed for row in [publisher, *sections]),
        scoped=section_id is not None,
    )


def location_balances(session: Session, location_id: int) -> list[tuple[Edition, Stock]]:
    rows = session.execute(
        select(Balance.edition_id, Balance.condition, Balance.qty).where(
            Balance.location_id == location_id
        )
    ).all()
    by_edition: dict[int, Stock] = defaultdict(Stock)
    for edition_id, condition, qty in rows:
        by_edition[edition_id].add(condition, qty)
    if not by_edition:
        return []
    eds = session.scalars(
        select(Edition).where(Edition.id.in_(by_edition)).options(joinedload(Edition.title))
    )
    return sorted(((e, by_edition[e.id]) for e in eds), key=lambda pair: pair[0].label)


def location_moves(
    session: Session, location_id: int, *, before_id: int | None = None, limit: int = 50
) -> list[Move]:
    """The latest moves in or out of a location, newest first, ``limit`` at a time.

    Newest by when they happened, then by when they were posted; ``before_id`` is the
    last move of the previous page. Each side (out of, into) walks its own index and
    stops after ``limit`` rows, however long the ledger.
    """
    cursor = None
    if before_id is not None:
        last = session.get(Move, before_id)
        if last is not None:
            cursor = tuple_(literal(last.occurred_at, UTCDateTime()), literal(last.id))

    def side(column):
        query = select(Move.id, Move.occurred_at).where(column == location_id)
        if cursor is not None:
            query = query.where(tuple_(Move.occurred_at, Move.id) < cursor)
        return query.order_by(Move.occurred_at.desc(), Move.id.desc()).limit(limit)

    newest = union(
        side(Move.from_location_id).subquery().select(),
        side(Move.to_location_id).subquery().select(),
    ).subquery()
    return list(
        session.scalars(
            select(Move)
            .where(Move.id.in_(select(newest.c.id)))
            .options(*moves_shown())
            .order_by(Move.occurred_at.desc(), Move.id.desc())
            .limit(limit)
        )
    )


@dataclass
class DocumentRow:
    document: Document
    occurred_at: datetime
    copies: int
    moves: int


def section_documents(
    session: Session, section_id: int, first: date, last: date, *, limit: int = 50
) -> list[DocumentRow]:
    """The latest documents that moved copies in or out of a section's places between
    two days (inclusive), newest first: at most ``limit``."""
    places = select(Location.id).where(Location.section_id == section_id)
    start = datetime.combine(first, time(), tzinfo=UTC)
    stop = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    latest = func.max(Move.occurred_at)
    found = session.execute(
        select(Move.document_id, latest, func.sum(Move.qty), func.count())
        .where(
            or_(Move.from_location_id.in_(places), Move.to_location_id.in_(places)),
            Move.occurred_at >= start,
            Move.occurred_at < stop,
        )
        .group_by(Move.document_id)
        .order_by(latest.desc(), Move.document_id.desc())
        .limit(limit)
    ).all()
    documents = {
        d.id: d
        for d in session.scalars(
            select(Document)
            .where(Document.id.in_([row[0] for row in found]))
            .options(joinedload(Document.created_by))
        )
    }
    return [
        DocumentRow(documents[doc_id], at, int(copies), int(moves))
        for doc_id, at, copies, moves in found
    ]


def document_section_ids(session: Session, document_id: int) -> set[int | None]:
    """The sections whose places a document's moves touch (None: the publisher's)."""
    sides = union(
        select(Move.from_location_id.label("location_id")).where(Move.document_id == document_id),
        select(Move.to_location_id.label("location_id")).where(Move.document_id == document_id),
    ).subquery()
    return set(
        session.scalars(
            select(Location.section_id).where(Location.id.in_(select(sides.c.location_id)))
        )
    )


def moves_shown() -> tuple:
    """What a table of moves shows of each move, loaded with it (one query in all)."""
    return (
        joinedload(Move.edition).joinedload(Edition.title),
        joinedload(Move.from_location),
        joinedload(Move.to_location),
        joinedload(Move.created_by),
        joinedload(Move.document),
    )


def moves_of_documents(
    session: Session, document_ids: Iterable[int], *, by_time: bool = False
) -> list[Move]:
    """The moves of some documents, as a moves table shows them: in the order they were
    posted, or (``by_time``) in the order they happened."""
    order = (Move.occurred_at, Move.id) if by_time else (Move.id,)
    return list(
        session.scalars(
            select(Move)
            .where(Move.document_id.in_(list(document_ids)))
            .options(*moves_shown())
            .order_by(*order)
        )
    )


def document_moves(session: Session, document_id: int) -> list[Move]:
    return moves_of_documents(session, [document_id])


def places(
    session: Session, *, section_scope: int | None = None, warehouse: bool = True
) -> list[Location]:
    """Open physical places of open sections, grouped by section (the publisher's
    first)."""
    kinds = [K.SECTION_STORE, K.EVENT_TABLE] + ([K.WAREHOUSE] if warehouse else [])
    query = (
        select(Location)
        .outerjoin(Location.section)
        .options(contains_eager(Location.section))
        .where(
            Location.kind.in_(kinds),
            Location.active.is_(True),
            or_(Location.section_id.is_(None), Section.archived.is_(False)),
        )
        .order_by(Section.name.nulls_first(), Location.kind.desc(), Location.name)
    )
    if section_scope is not None:
        query = query.where(Location.section_id == section_scope)
    return list(session.scalars(query))


def expected_stock(session: Session, location_id: int) -> dict[tuple[int, str], int]:
    """What the ledger holds at a location: (edition, condition) -> copies."""
    return {
        (edition_id, condition): qty
        for edition_id, condition, qty in session.execute(_HELD, {"place": location_id})
    }


# Read after every sale: built once (building it costs more than running it).
_HELD = select(Balance.edition_id, Balance.condition, Balance.qty).where(
    Balance.location_id == bindparam("place")
)


@dataclass
class StockRow:
    """Copies of an edition in a condition at a place, with the usual price there."""

    edition: Edition
    condition: str
    qty: int
    price_minor: int | None

    @property
    def value(self) -> str:
        """How a form names it: ``edition:condition``."""
        return f"{self.edition.id}:{self.condition}"


def priced_stock(
    session: Session, place: Location, section: Section, *, choosable: bool = False
) -> list[StockRow]:
    """What is at a place, by edition and condition, with the usual price there;
    ``choosable``: of the editions not archived only (what the sale screen offers)."""
    from tracker.queries.catalogue import list_editions
    from tracker.queries.prices import prices_for

    stock = expected_stock(session, place.id)
    editions = list_editions(session, choosable=choosable)
    prices = prices_for(session, section, editions)
    return [
        StockRow(edition, condition.value, stock[(edition.id, condition.value)], prices[edition.id])
        for edition in editions
        for condition in (Condition.UNSIGNED, Condition.SIGNED)
        if stock.get((edition.id, condition.value))
    ]


def warehouse_stock(session: Session) -> dict[int, int]:
    """Unsigned copies of each edition in the publisher's warehouse (what a shipment
    can take)."""
    warehouse = session.scalar(
        select(Location.id)
        .where(Location.kind == LocationKind.WAREHOUSE, Location.active.is_(True))
        .order_by(Location.id)
        .limit(1)
    )
    if warehouse is None:
        return {}
    return {
        edition_id: qty
        for (edition_id, condition), qty in expected_stock(session, warehouse).items()
        if condition == Condition.UNSIGNED
    }


def where_shown(session: Session, document_id: int) -> tuple[str, int]:
    """Where a document is shown best: ("shipment", its id) for a shipment or one of its
    receipts, ("stocktake", id) for a count, ("tally", id) for a paper tally, else
    ("document", id)."""
    document = session.get(Document, document_id)
    if document is not None and document.kind == "shipment":
        return "shipment", document_id
    if document is not None and document.kind == "receipt":
        receipt = session.get(Receipt, document_id)
        if receipt is not None:
            return "shipment", receipt.shipment_id
    if document is not None and document.kind == "stocktake":
        return "stocktake", document_id
    if document is not None and document.kind in TALLY_DOCUMENTS.values():
        return "tally", document_id
    return "document", document_id


@dataclass(frozen=True)
class PlaceStock:
    """Copies of one edition in one condition at one physical place."""

    location: Location
    edition: Edition
    condition: str
    qty: int

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.location.id, self.edition.id, self.condition)


def stock_rows(
    session: Session,
    *,
    section_scope: int | None,
    country: str | None = None,
    section_id: int | None = None,
    location_id: int | None = None,
    edition_id: int | None = None,
    condition: str | None = None,
    after: tuple[int, int, str] | None = None,
    limit: int = 50,
) -> list[PlaceStock]:
    """Copies at physical places (the warehouse, stores, event tables), in the order of
    (place, edition, condition), from after ``after``: ``limit`` rows at most. Places
    of other sections than ``section_scope`` (a treasurer's) are never counted."""
    query = (
        select(Balance)
        .join(Balance.location)
        .outerjoin(Location.section)
        .options(
            contains_eager(Balance.location).contains_eager(Location.section),
            joinedload(Balance.edition).joinedload(Edition.title),
        )
        .where(Location.kind.in_(list(PHYSICAL_KINDS)), Balance.qty != 0)
        .order_by(Balance.location_id, Balance.edition_id, Balance.condition)
        .limit(limit)
    )
    if section_scope is not None:
        query = query.where(Location.section_id == section_scope)
    if country is not None:
        query = query.where(Section.country_code == country)
    if section_id is not None:
        query = query.where(Location.section_id == section_id)
    if location_id is not None:
        query = query.where(Balance.location_id == location_id)
    if edition_id is not None:
        query = query.where(Balance.edition_id == edition_id)
    if condition is not None:
        query = query.where(Balance.condition == condition)
    if after is not None:
        query = query.where(
            tuple_(Balance.location_id, Balance.edition_id, Balance.condition) > tuple_(*after)
        )
    return [
        PlaceStock(balance.location, balance.edition, balance.condition, balance.qty)
        for balance in session.scalars(query).unique()
    ]
