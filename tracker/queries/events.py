"""What events did: an event's report and sales, who signed what, a place's takings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeAlias

from sqlalchemy import (
    BigInteger,
    Row,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.db import UTCDateTime
from tracker.domain.accounts import Actor
from tracker.domain.events import TALLY_DOCUMENTS, EventStatus, PaymentMethod
from tracker.domain.periods import day_start
from tracker.domain.places import PHYSICAL_KINDS
from tracker.domain.stock import Condition, MoveKind
from tracker.models import (
    Author,
    Balance,
    Document,
    Edition,
    Event,
    Location,
    Move,
    Sale,
    SaleLine,
    SaleTally,
    Section,
    Signing,
    signing_authors,
)


@dataclass
class EventReport:
    event: Event
    brought: int
    returned: int
    sold_unsigned: int
    sold_signed: int
    signed: int
    sales: int
    voided: int
    takings: dict[str, int]
    on_table_unsigned: int
    on_table_signed: int

    @property
    def sold(self) -> int:
        return self.sold_unsigned + self.sold_signed

    @property
    def attendance(self) -> int | None:
        return (
            self.event.actual_attendance
            if self.event.actual_attendance is not None
            else self.event.expected_attendance
        )

    @property
    def per_attendee(self) -> Decimal | None:
        if not self.attendance:
            return None
        return (Decimal(self.sold) / Decimal(self.attendance)).quantize(Decimal("0.01"))

    @property
    def takings_total(self) -> int:
        return sum(self.takings.values())

    @property
    def cash_takings(self) -> int:
        return self.takings[PaymentMethod.CASH.value]

    @property
    def counted_cash(self) -> int | None:
        """The cash counted at the table when the event closed (None: not counted)."""
        return self.event.counted_cash_minor

    @property
    def cash_difference(self) -> int | None:
        """The cash counted less the cash takings: over (above 0) or short (below)."""
        if self.counted_cash is None:
            return None
        return self.counted_cash - self.cash_takings


def event_report(session: Session, event: Event) -> EventReport:
    """An event's figures, each from a grouped query: the same handful of statements
    whatever the number of its sales."""
    table = event.location_id
    into, out_of = Move.to_location_id == table, Move.from_location_id == table
    # A paper tally typed in after the close puts its leftovers straight: the copies it
    # moves back to the table were never returned, rather than brought again.
    tally = Move.document_id.in_(
        select(Document.id).where(Document.kind.in_(list(TALLY_DOCUMENTS.values())))
    )
    totals: Row[int, int] = session.execute(
        select(
            func.coalesce(func.sum(case((into & ~tally, Move.qty), else_=0)), 0),
            func.coalesce(
                func.sum(case((out_of, Move.qty), (into & tally, -Move.qty), else_=0)), 0
            ),
        ).where(Move.kind == MoveKind.TRANSFER, or_(into, out_of))
    ).one()
    brought, returned = totals

    sales = voided = 0
    for kept, count in session.execute(
        select(Sale.voided_at.is_(None), func.count())
        .where(Sale.event_id == event.id)
        .group_by(Sale.voided_at.is_(None))
    ):
        if kept:
            sales += int(count)
        else:
            voided += int(count)
    sold: dict[str, int] = defaultdict(int)
    takings: dict[str, int] = {m.value: 0 for m in PaymentMethod}
    for condition, method, qty, amount in session.execute(
        select(
            SaleLine.condition,
            Sale.payment_method,
            func.sum(SaleLine.qty),
            func.sum(cast(SaleLine.qty, BigInteger) * SaleLine.unit_price_minor),
        )
        .join(SaleLine.sale)
        .where(Sale.event_id == event.id, Sale.voided_at.is_(None))
        .group_by(SaleLine.condition, Sale.payment_method)
    ):
        sold[condition] += int(qty)
        takings[method] += int(amount)
    on_table = defaultdict(int)
    for condition, qty in session.execute(
        select(Balance.condition, func.sum(Balance.qty))
        .where(Balance.location_id == table)
        .group_by(Balance.condition)
    ):
        on_table[condition] = int(qty)
    signed = session.execute(
        select(func.coalesce(func.sum(Signing.qty), 0)).where(Signing.event_id == event.id)
    ).scalar_one()
    return EventReport(
        event=event,
        brought=int(brought),
        returned=int(returned),
        sold_unsigned=sold[Condition.UNSIGNED],
        sold_signed=sold[Condition.SIGNED],
        signed=int(signed),
        sales=sales,
        voided=voided,
        takings=takings,
        on_table_unsigned=on_table[Condition.UNSIGNED],
        on_table_signed=on_table[Condition.SIGNED],
    )


def event_sales_query(event_id: int):
    """Every sale of an event in the order they happened, each with its copies and
    amount: one grouped query. Its rows have ``id``, ``sold_at``, ``currency``,
    ``payment_method``, ``buyer_name``, ``voided_at``, ``void_reason``, ``copies`` and
    ``total_minor``."""
    return (
        select(
            Sale.document_id.label("id"),
            Sale.sold_at,
            Sale.currency,
            Sale.payment_method,
            Sale.buyer_name,
            Sale.voided_at,
            Sale.void_reason,
            cast(func.sum(SaleLine.qty), BigInteger).label("copies"),
            cast(
                func.sum(cast(SaleLine.qty, BigInteger) * SaleLine.unit_price_minor), BigInteger
            ).label("total_minor"),
        )
        .join(SaleLine, SaleLine.sale_id == Sale.document_id)
        .where(Sale.event_id == event_id)
        # Grouped by the primary key (the other columns of the sale follow from it), in
        # the order of the index on (event, time, number): rows come as they are read.
        .group_by(Sale.sold_at, Sale.document_id)
        .order_by(Sale.sold_at, Sale.document_id)
    )


# A row of event_sales: id, sold_at, currency, payment_method, buyer_name, voided_at,
# void_reason, copies, total_minor.
SaleRow: TypeAlias = (
    "Row[int, datetime, str, str, str | None, datetime | None, str | None, int, int]"
)


def event_sales(session: Session, event_id: int, *, chunk: int = 1000) -> Iterator[SaleRow]:
    """Every sale of an event in the order they happened, each with its copies and
    amount (``event_sales_query``), read ``chunk`` rows at a time (a server-side cursor
    on PostgreSQL): no query per sale, and never every sale in memory at once."""
    query = event_sales_query(event_id).execution_options(yield_per=chunk)
    # Plain rows, through the session's connection: no ORM work per row.
    yield from session.connection().execute(query)


def event_sales_page(
    session: Session, event_id: int, *, before_id: int | None = None, limit: int = 50
) -> list[Sale]:
    """A page of an event's sales, newest first (by when they happened, then by number),
    with their lines and editions: ``limit`` at most, older than the sale ``before_id``
    when it is one of the event's."""
    query = (
        select(Sale)
        .where(Sale.event_id == event_id)
        .options(
            selectinload(Sale.lines).joinedload(SaleLine.edition).joinedload(Edition.title),
            joinedload(Sale.document).joinedload(Document.created_by),
        )
        .order_by(Sale.sold_at.desc(), Sale.document_id.desc())
        .limit(limit)
    )
    if before_id is not None:
        last = session.execute(
            select(Sale.sold_at, Sale.document_id).where(
                Sale.event_id == event_id, Sale.document_id == before_id
            )
        ).first()
        if last is not None:
            query = query.where(
                tuple_(Sale.sold_at, Sale.document_id)
                < tuple_(literal(last.sold_at, UTCDateTime()), literal(last.document_id))
            )
    return list(session.scalars(query))


@dataclass
class AuthorSignings:
    author: Author
    copies: int
    events: int


@dataclass
class Signings:
    by_author: list[AuthorSignings]
    by_event: list[tuple[Event, int]]
    total: int
    signed_left: list[tuple[Section, int]]


def signings(session: Session, section_id: int | None = None) -> Signings:
    """Who signed how many copies, where; and the signed copies still on hand."""
    base = select(Signing).join(Signing.event)
    if section_id is not None:
        base = base.where(Event.section_id == section_id)
    ids = select(Signing.document_id).join(Signing.event)
    if section_id is not None:
        ids = ids.where(Event.section_id == section_id)
    by_author = [
        AuthorSignings(author, int(copies), int(events))
        for author, copies, events in session.execute(
            select(Author, func.sum(Signing.qty), func.count(func.distinct(Signing.event_id)))
            .join(signing_authors, signing_authors.c.author_id == Author.id)
            .join(Signing, Signing.document_id == signing_authors.c.signing_id)
            .where(Signing.document_id.in_(ids))
            .group_by(Author.id, Author.name)
            .order_by(func.sum(Signing.qty).desc(), Author.name)
        )
    ]
    by_event = [
        (event, int(qty))
        for event, qty in session.execute(
            select(Event, func.sum(Signing.qty))
            .join(Signing, Signing.event_id == Event.id)
            .where(Signing.document_id.in_(ids))
            .group_by(Event.id)
            .order_by(Event.starts_on)
        )
    ]
    left_query = (
        select(Section, func.sum(Balance.qty))
        .join(Location, Location.section_id == Section.id)
        .join(Balance, Balance.location_id == Location.id)
        .where(
            Balance.condition == Condition.SIGNED,
            Location.kind.in_([k.value for k in PHYSICAL_KINDS]),
        )
        .group_by(Section.id)
        .order_by(Section.name)
    )
    if section_id is not None:
        left_query = left_query.where(Section.id == section_id)
    signed_left = [(s, int(q)) for s, q in session.execute(left_query) if q]
    return Signings(by_author, by_event, sum(q for _e, q in by_event), signed_left)


# Read after every sale: built once (building a statement costs more than running it).
_TALLY = select(
    SaleTally.payment_method, SaleTally.sales, SaleTally.copies, SaleTally.amount_minor
).where(SaleTally.location_id == bindparam("place"))
_LAST_SALE = (
    select(Sale.document_id)
    .where(
        Sale.location_id == bindparam("place"), Sale.voided_at.is_(None), Sale.tally_id.is_(None)
    )
    .order_by(Sale.document_id.desc())
    .limit(1)
)
_LAST_SALE_OF = _LAST_SALE.join(Sale.document).where(Document.created_by_id == bindparam("actor"))


def tally(session: Session, location_id: int) -> dict:
    """Copies sold at a place, the number of sales and the takings by payment method
    (voided sales left out), from the tally kept with every sale: a few rows, however
    many sales there were."""
    takings = dict.fromkeys((m.value for m in PaymentMethod), 0)
    copies = count = 0
    for row in session.execute(_TALLY, {"place": location_id}):
        count += row.sales
        copies += row.copies
        takings[row.payment_method] += row.amount_minor
    return {"copies": copies, "sales": count, "takings": takings, "total": sum(takings.values())}


def last_sale(session: Session, actor: Actor | None, location_id: int) -> Sale | None:
    """The latest sale at a place that is not voided (the actor's own, for a treasurer),
    made on the sale screen (a paper tally's sales are voided from the tally)."""
    latest = last_sale_id(session, actor, location_id)
    return None if latest is None else session.get(Sale, latest)


def last_sale_id(session: Session, actor: Actor | None, location_id: int) -> int | None:
    """``last_sale``'s id (a sale just made is at hand: no need to read it back)."""
    if actor is None:
        return session.scalar(_LAST_SALE, {"place": location_id})
    return session.scalar(_LAST_SALE_OF, {"place": location_id, "actor": actor.id})


def list_events(session: Session, section_id: int | None = None) -> list[Event]:
    """Events, the latest first; of one section when asked."""
    query = select(Event).join(Event.section).order_by(Event.starts_on.desc(), Event.id.desc())
    if section_id is not None:
        query = query.where(Event.section_id == section_id)
    return list(session.scalars(query))


def events_page(
    session: Session,
    *,
    section_scope: int | None,
    section_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    kind: str | None = None,
    status: str | None = None,
    after: tuple[date, int] | None = None,
    limit: int = 50,
) -> list[Event]:
    """Events in the order of ``list_events`` (the latest begun first, then by number),
    from after the key ``after`` (starts_on, id): ``limit`` at most. ``since`` and
    ``until`` keep the events that overlap those days (ended on or after ``since``,
    begun on or before ``until``). Events of other sections than ``section_scope`` (a
    treasurer's) are never listed."""
    query = (
        select(Event)
        .options(
            joinedload(Event.section).joinedload(Section.country),
            joinedload(Event.location),
        )
        .order_by(Event.starts_on.desc(), Event.id.desc())
        .limit(limit)
    )
    if section_scope is not None:
        query = query.where(Event.section_id == section_scope)
    if section_id is not None:
        query = query.where(Event.section_id == section_id)
    if since is not None:
        query = query.where(Event.ends_on >= since)
    if until is not None:
        query = query.where(Event.starts_on <= until)
    if kind is not None:
        query = query.where(Event.kind == kind)
    if status is not None:
        query = query.where(Event.status == status)
    if after is not None:
        starts_on, event_id = after
        query = query.where(
            or_(
                Event.starts_on < starts_on,
                and_(Event.starts_on == starts_on, Event.id < event_id),
            )
        )
    return list(session.scalars(query))


def sales_page(
    session: Session,
    *,
    section_scope: int | None,
    section_id: int | None = None,
    location_id: int | None = None,
    event_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
    payment_method: str | None = None,
    with_voided: bool = False,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> list[Sale]:
    """Sales, newest first (by when they happened, then by number), with their lines,
    editions and places, from after the key ``after`` (sold_at, id): ``limit`` at most.
    ``since`` and ``until`` are days (UTC, ``until`` included); voided sales only
    ``with_voided``. Sales of other sections than ``section_scope`` (a treasurer's)
    are never listed."""
    query = (
        select(Sale)
        .options(
            selectinload(Sale.lines).joinedload(SaleLine.edition).joinedload(Edition.title),
            joinedload(Sale.document),
            joinedload(Sale.section).joinedload(Section.country),
            joinedload(Sale.location),
            joinedload(Sale.event),
        )
        .order_by(Sale.sold_at.desc(), Sale.document_id.desc())
        .limit(limit)
    )
    if section_scope is not None:
        query = query.where(Sale.section_id == section_scope)
    if section_id is not None:
        query = query.where(Sale.section_id == section_id)
    if location_id is not None:
        query = query.where(Sale.location_id == location_id)
    if event_id is not None:
        query = query.where(Sale.event_id == event_id)
    if since is not None:
        query = query.where(Sale.sold_at >= day_start(since))
    if until is not None:
        query = query.where(Sale.sold_at < day_start(until + timedelta(days=1)))
    if payment_method is not None:
        query = query.where(Sale.payment_method == payment_method)
    if not with_voided:
        query = query.where(Sale.voided_at.is_(None))
    if after is not None:
        sold_at, sale_id = after
        query = query.where(
            or_(
                Sale.sold_at < sold_at,
                and_(Sale.sold_at == sold_at, Sale.document_id < sale_id),
            )
        )
    return list(session.scalars(query).unique())


def event_at_table(session: Session, location_id: int) -> Event | None:
    """The event whose table a place is, if it is one."""
    return session.scalar(select(Event).where(Event.location_id == location_id))


def _happening(today: date):
    """Events of today and ongoing: begun, and not over yet, or over but still open (their
    table not packed up: the treasurer has yet to close them)."""
    return (Event.starts_on <= today) & (
        (Event.ends_on >= today) | (Event.status == EventStatus.OPEN)
    )


def _events(session: Session, section_id: int | None, where, *order) -> list[Event]:
    query = (
        select(Event)
        .options(joinedload(Event.section))
        .where(where)
        .order_by(*order, Event.id.desc())
    )
    if section_id is not None:
        query = query.where(Event.section_id == section_id)
    return list(session.scalars(query))


def events_now(session: Session, section_id: int | None, today: date) -> list[Event]:
    """Today's and ongoing events (``_happening``): those of today first, then those left
    open after their end; the latest begun first."""
    return _events(
        session,
        section_id,
        _happening(today),
        (Event.ends_on < today).asc(),
        Event.starts_on.desc(),
    )


@dataclass
class EventsByTime:
    now: list[Event]
    upcoming: list[Event]
    past: list[Event]


def events_by_time(session: Session, section_id: int | None, today: date) -> EventsByTime:
    """Events as the treasurer looks for them: today's and ongoing (the ones to sell
    at), then those coming up (the soonest first), then the past ones (the latest
    first)."""
    return EventsByTime(
        now=events_now(session, section_id, today),
        upcoming=_events(session, section_id, Event.starts_on > today, Event.starts_on.asc()),
        # Neither: over, and closed.
        past=_events(
            session,
            section_id,
            (Event.ends_on < today) & (Event.status != EventStatus.OPEN),
            Event.starts_on.desc(),
        ),
    )


def recent_sales(session: Session, event_id: int, limit: int = 20) -> list[Sale]:
    """An event's latest sales, with what they sold."""
    return list(
        session.scalars(
            select(Sale)
            .where(Sale.event_id == event_id)
            .options(
                selectinload(Sale.lines).joinedload(SaleLine.edition).joinedload(Edition.title),
                joinedload(Sale.document).joinedload(Document.created_by),
            )
            .order_by(Sale.document_id.desc())
            .limit(limit)
        )
    )


def event_signings(session: Session, event_id: int) -> list[Signing]:
    return list(
        session.scalars(
            select(Signing)
            .where(Signing.event_id == event_id)
            .options(joinedload(Signing.document).joinedload(Document.created_by))
            .order_by(Signing.document_id)
        )
    )


def list_authors(session: Session) -> list[Author]:
    return list(session.scalars(select(Author).order_by(Author.name)))
