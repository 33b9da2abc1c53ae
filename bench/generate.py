"""A realistic ledger of a chosen size, posted through the tracker's own paths.

A year of a campaign, ending on the day asked: print runs into the warehouse; a
shipment a month to each section (dispatched and received through the shipment
service, firm sale and sale or return in turn; every other section's last one still on
the way, overdue); sales at each section's store, week by
week, and at its events (copies brought to the event's table, signed there, sold,
the rest taken back); voided sales, customers' returns, write-offs. Sales are posted as
batches (a till roll per store and week, per event and day) with ``post_document``, the
posting path of the ``ledger post`` command, one posting per document; everything else
goes through the services the pages use.

    generate(session, moves=100_000, countries=15)

Quantities are tracked as they are posted, so that no posting ever asks for copies
that are not there (the ledger would refuse it). The sizes are approximate: sales make
up the difference between the moves asked for and the rest.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.places import LocationKind
from tracker.domain.terms import Terms
from tracker.ledger import MoveLine
from tracker.models import Document, Edition, Event, Location, Move, Section
from tracker.services import catalogue, places
from tracker.services import events as event_service
from tracker.services import places as places_service
from tracker.services import receipts as receipts_service
from tracker.services import shipments as shipment_service
from tracker.services.stock import post_document

# Fifteen countries where the book goes, with their currencies, and how big a market
# each is (relative weights).
COUNTRIES = [
    ("GB", "Britain", "GBP", 10),
    ("PK", "Pakistan", "PKR", 9),
    ("US", "United States", "USD", 8),
    ("MX", "Mexico", "MXN", 6),
    ("ES", "Spain", "EUR", 5),
    ("IT", "Italy", "EUR", 5),
    ("CA", "Canada", "CAD", 4),
    ("SE", "Sweden", "SEK", 4),
    ("DE", "Germany", "EUR", 4),
    ("AU", "Australia", "AUD", 3),
    ("IE", "Ireland", "EUR", 3),
    ("BR", "Brazil", "BRL", 3),
    ("FR", "France", "EUR", 2),
    ("PT", "Portugal", "EUR", 2),
    ("CH", "Switzerland", "CHF", 1),
]
EDITIONS = [
    ("9781913026868", "en", "paperback", "25.00"),
    ("9781913026875", "es", "paperback", "25.00"),
    ("9781913026882", "en", "hardback", "40.00"),
]
EDITION_SHARE = [0.6, 0.3, 0.1]
WEEKS = 52
SIGNED_SHARE = 0.25  # of the copies sold at events


@dataclass
class Summary:
    moves: int
    documents: int
    sections: int
    locations: int
    events: int
    seconds: float


def _isbn(prefix12: str) -> str:
    digits = [int(c) for c in prefix12]
    check = (10 - sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return prefix12 + str(check)


def _at(day: date, rng: random.Random, hour: int | None = None) -> datetime:
    hour = rng.randint(9, 20) if hour is None else hour
    return datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=UTC)


class _Stock:
    """Copies where they are, as posted (edition, condition) per location."""

    def __init__(self) -> None:
        self.qty: dict[tuple[int, int, str], int] = defaultdict(int)

    def take(self, location: int, edition: int, condition: str, wanted: int) -> int:
        got = min(wanted, self.qty[(location, edition, condition)])
        self.qty[(location, edition, condition)] -= got
        return got

    def put(self, location: int, edition: int, condition: str, qty: int) -> None:
        self.qty[(location, edition, condition)] += qty


K = LocationKind


@dataclass
class _Campaign:
    """What the year's steps share: where they post, the random numbers they draw (in one
    sequence, so that a seed gives one ledger), the places, the plan and what is where."""

    session: Session
    rng: random.Random
    start: date
    end: date
    editions: list[Edition]
    sections: list[Section]
    warehouse: Location
    plan: dict[int, list[list[float]]]  # copies per section, week and edition
    stock: _Stock = field(default_factory=_Stock)
    store: dict[int, Location] = field(default_factory=dict)
    customers: dict[int, Location] = field(default_factory=dict)
    written_off: dict[int, Location] = field(default_factory=dict)
    # Shipments on their way: (day they arrive, section, shipment), received in order.
    arrivals: list[tuple[date, Section, object]] = field(default_factory=list)
    # Copies taken back from a table late one evening: in the store's stock from the
    # next day's steps on.
    returns: list[tuple[date, list[MoveLine]]] = field(default_factory=list)

    def find_places(self) -> None:
        """Each section's store, customers and written-off copies."""
        self.store.update({s.id: places_service.store_of(s) for s in self.sections})
        self.customers.update({s.id: s.location_of_kind(K.CUSTOMERS) for s in self.sections})
        self.written_off.update({s.id: s.location_of_kind(K.WRITTEN_OFF) for s in self.sections})

    def post(self, kind: str, lines: list[MoveLine], day: date, hour: int | None = None):
        return post_document(self.session, kind, lines, occurred_at=_at(day, self.rng, hour))


def generate(
    session: Session,
    *,
    moves: int,
    countries: int = 15,
    events_per_section: int = 3,
    end: date | None = None,
    seed: int = 1,
    commit: bool = True,
    progress=None,
) -> Summary:
    """Fill an empty database with a year of campaign, about ``moves`` moves."""
    started = time.perf_counter()
    rng = random.Random(seed)
    end = end or date.today()
    start = end - timedelta(weeks=WEEKS) + timedelta(days=1)
    chosen = COUNTRIES[:countries]

    editions = _editions(session)
    places.ensure_publisher_locations(session)
    sections = _sections(session, chosen)
    session.flush()
    warehouse = places.publisher_location(session, K.WAREHOUSE)
    printer = places.publisher_location(session, K.PRINTER)
    events = _events(session, sections, start, end, events_per_section)
    session.flush()

    plan = _plan(rng, sections, chosen, moves, events_per_section)
    campaign = _Campaign(session, rng, start, end, editions, sections, warehouse, plan)
    _print_runs(campaign, printer)
    timeline = _timeline(campaign, events)
    campaign.find_places()
    postings = 0
    for day, _order, (what, section, *rest) in timeline:
        if day > end:
            continue
        postings += _arrive(campaign, day)
        if not STEPS[what](campaign, day, section, *rest):
            continue
        postings += 1
        if commit and postings % 25 == 0:
            session.commit()
            if progress:
                progress(day)
    if commit:
        session.commit()
    else:
        session.flush()
    return _summary(session, sections, events, started)


# The catalogue, the sections and their events.


def _editions(session: Session) -> list[Edition]:
    title = catalogue.create_title(
        session, name="In Defence of Lenin", authors=["Alan Woods", "Rob Sewell"]
    )
    return [
        catalogue.create_edition(
            session,
            title=title,
            isbn=_isbn(isbn[:12]),
            language=language,
            format=fmt,
            list_price=price,
            currency="GBP",
        )
        for isbn, language, fmt, price in EDITIONS
    ]


def _sections(session: Session, chosen: list[tuple[str, str, str, int]]) -> list[Section]:
    return [
        places.create_section(session, name=f"{name} section", country_code=code, currency=currency)
        for code, name, currency, _ in chosen
    ]


def _events(
    session: Session, sections: list[Section], start: date, end: date, per_section: int
) -> dict[int, list[Event]]:
    """Events spread over the year; the first section has one coming up, with nothing
    sent to it yet (the dashboard flags it)."""
    events = defaultdict(list)
    for i, section in enumerate(sections):
        for k in range(per_section):
            day = start + timedelta(days=int((k + 0.5) * 364 / per_section) + i % 7)
            day = min(day, end - timedelta(days=3))
            details = event_service.EventDetails(
                name=f"{section.name}: meeting {k + 1}",
                kind="public_meeting",
                starts_on=day,
                ends_on=day + timedelta(days=1),
                city=section.country.name if section.country else None,
            )
            events[section.id].append(
                event_service.create_event(session, None, section.id, details)
            )
    if sections:
        launch = event_service.EventDetails(
            name=f"{sections[0].name}: book launch",
            kind="launch",
            starts_on=end + timedelta(days=7),
        )
        event_service.create_event(session, None, sections[0].id, launch)
    return events


def _plan(
    rng: random.Random,
    sections: list[Section],
    chosen: list[tuple[str, str, str, int]],
    moves: int,
    events_per_section: int,
) -> dict[int, list[list[float]]]:
    """Each section's planned copies sold per week and edition (1.25 copies a move), from
    the moves left for sales once the other postings are counted."""
    editions = len(EDITIONS)
    overhead = (
        len(sections) * 12 * editions * 2  # shipments: dispatch, receipt
        + len(sections) * events_per_section * (editions * 4 + 2)  # events
        + len(sections) * 12  # returns, write-offs
        + editions * 2  # print runs
    )
    sale_moves = max(moves - overhead, len(sections) * WEEKS)
    weights = [w for *_, w in chosen]
    per_section = [sale_moves * w / sum(weights) for w in weights]
    return {
        s.id: [
            [
                per_section[i] / WEEKS * 1.25 * EDITION_SHARE[e] * rng.uniform(0.6, 1.4)
                for e in range(3)
            ]
            for _ in range(WEEKS)
        ]
        for i, s in enumerate(sections)
    }


def _print_runs(c: _Campaign, printer: Location) -> None:
    """Enough copies of each edition printed into the warehouse on the first day."""
    for e, edition in enumerate(c.editions):
        needed = sum(c.plan[s.id][w][e] for s in c.sections for w in range(WEEKS))
        left = int(needed * 1.35) + 500
        # A print run is at most half a million copies (a move holds at most a million).
        while left > 0:
            run = min(left, 500_000)
            c.post(
                "print_run",
                [MoveLine("print_run", edition.id, run, printer.id, c.warehouse.id)],
                c.start,
                8,
            )
            c.stock.put(c.warehouse.id, edition.id, "unsigned", run)
            left -= run


def _timeline(c: _Campaign, events: dict[int, list[Event]]) -> list[tuple[date, int, tuple]]:
    """Postings by day, in order: shipments arrive before the sales they feed."""
    start = c.start
    timeline: list[tuple[date, int, tuple]] = []
    for section in c.sections:
        for month in range(12):
            day = start + timedelta(days=month * 30)
            weeks = range(month * 52 // 12, min(WEEKS, (month + 1) * 52 // 12 + 2))
            timeline.append((day, 0, ("shipment", section, month, weeks)))
        for week in range(WEEKS):
            timeline.append((start + timedelta(weeks=week, days=5), 2, ("store", section, week)))
        for event in events[section.id]:
            timeline.append((event.starts_on, 1, ("event", section, event)))
        for quarter in range(4):
            timeline.append((start + timedelta(days=quarter * 91 + 45), 3, ("write_off", section)))
            timeline.append((start + timedelta(days=quarter * 91 + 60), 3, ("return", section)))
    timeline.sort(key=lambda t: (t[0], t[1], str(t[2][0]), t[2][1].id))
    return timeline


def _summary(session: Session, sections: list[Section], events: dict, started: float) -> Summary:
    def count(model) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return Summary(
        moves=count(Move),
        documents=count(Document),
        sections=len(sections),
        locations=count(Location),
        events=sum(len(v) for v in events.values()) + (1 if sections else 0),
        seconds=time.perf_counter() - started,
    )


# The steps of the year, one per kind of posting. Each says whether it counts as a
# posting (a shipment with nothing to send, or an event with nothing brought, does not).


def _ship(c: _Campaign, day: date, section: Section, month: int, weeks: range) -> bool:
    """A month's shipment, dispatched and (unless it is still on the way) received."""
    lines = _shipment_lines(c, section, weeks)
    if not lines:
        return False
    shipment = shipment_service.create(
        c.session,
        None,
        direction="outbound",
        section_id=section.id,
        lines=lines,
        terms=Terms.FIRM_SALE if month % 2 else Terms.SALE_OR_RETURN,
        expected_on=day + timedelta(days=10),
    )
    shipment_service.dispatch(c.session, None, shipment.id, when=_at(day, c.rng, 10))
    for line in lines:
        c.stock.take(c.warehouse.id, line.edition_id, "unsigned", line.qty)
    arrives = day + timedelta(days=c.rng.randint(4, 9))
    # Every other section's last shipment is held up on the way (overdue).
    delayed = month == 11 and c.sections.index(section) % 2 == 1
    if arrives <= c.end and not delayed:
        c.arrivals.append((arrives, section, shipment))
    return True


def _arrive(c: _Campaign, day: date) -> int:
    """Receive, first thing on their day, the shipments that arrive by ``day``: their
    copies are in the store from then, never before (the past must add up)."""
    due = sorted((a for a in c.arrivals if a[0] <= day), key=lambda a: (a[0], a[2].id))
    c.arrivals = [a for a in c.arrivals if a[0] > day]
    for arrives, section, shipment in due:
        _receive(c, section, shipment, arrives)
    for _day, lines in [r for r in c.returns if r[0] <= day]:
        for line in lines:
            c.stock.put(line.to_location_id, line.edition_id, line.from_condition, line.qty)
    c.returns = [r for r in c.returns if r[0] > day]
    return len(due)


def _shipment_lines(
    c: _Campaign, section: Section, weeks: range
) -> list[shipment_service.LineInput]:
    """What the weeks ahead need, and a little more, as far as the warehouse has it."""
    lines = []
    for e, edition in enumerate(c.editions):
        qty = int(sum(c.plan[section.id][w][e] for w in weeks) * 1.3) + 5
        qty = min(qty, c.stock.qty[(c.warehouse.id, edition.id, "unsigned")])
        if qty > 0:
            lines.append(shipment_service.LineInput(edition.id, qty, Decimal("12.50")))
    return lines


def _receive(c: _Campaign, section: Section, shipment, arrives: date) -> None:
    receipts_service.receive(
        c.session,
        None,
        shipment.id,
        [receipts_service.ReceiptInput(line.id, received=line.qty) for line in shipment.lines],
        when=_at(arrives, c.rng, 8),
    )
    for line in shipment.lines:
        c.stock.put(c.store[section.id].id, line.edition_id, "unsigned", line.qty)


def _sell_at_store(c: _Campaign, day: date, section: Section, week: int) -> bool:
    """A week's till roll at the section's store."""
    _sell(c, c.store[section.id].id, section, day, c.plan[section.id][week], 0.05)
    return True


def _hold_event(c: _Campaign, day: date, section: Section, event: Event) -> bool:
    """Copies brought from the store to the event's table, some signed there, two days
    of sales, and the rest taken back the next day (unless the event is still on)."""
    table = event.location_id
    week = min((day - c.start).days // 7, WEEKS - 1)
    brought = _bring_to_table(c, section, table, week)
    if not brought:
        return False
    c.post("transfer", brought, day, 9)
    _sign(c, table, day)
    for offset in range(2):
        share = [c.plan[section.id][week][e] * 0.8 for e in range(3)]
        _sell(c, table, section, day + timedelta(days=offset), share, SIGNED_SHARE)
    _take_back(c, section, table, day)
    return True


def _bring_to_table(c: _Campaign, section: Section, table: int, week: int) -> list[MoveLine]:
    """All the store's signed copies, and twice a week's sales (and ten) of the others."""
    store = c.store[section.id].id
    brought = []
    for e, edition in enumerate(c.editions):
        for condition in ("unsigned", "signed"):
            wanted = int(c.plan[section.id][week][e] * 2) + 10 if condition == "unsigned" else 10**9
            qty = c.stock.take(store, edition.id, condition, wanted)
            if qty:
                c.stock.put(table, edition.id, condition, qty)
                brought.append(MoveLine("transfer", edition.id, qty, store, table, condition))
    return brought


def _sign(c: _Campaign, table: int, day: date) -> None:
    """Up to forty copies of the first edition signed at the table."""
    first = c.editions[0].id
    to_sign = c.stock.take(table, first, "unsigned", 40)
    if to_sign:
        c.stock.put(table, first, "signed", to_sign)
        c.post(
            "signing",
            [MoveLine("signing", first, to_sign, table, table, "unsigned", "signed")],
            day,
            10,
        )


def _take_back(c: _Campaign, section: Section, table: int, day: date) -> None:
    """What is left on the table back to the store, the day after the event began."""
    store = c.store[section.id].id
    back = []
    for edition in c.editions:
        for condition in ("unsigned", "signed"):
            qty = c.stock.take(table, edition.id, condition, 10**9)
            if qty:
                c.stock.put(store, edition.id, condition, qty)
                back.append(MoveLine("transfer", edition.id, qty, table, store, condition))
    if back and day + timedelta(days=1) <= c.end:
        c.post("transfer", back, day + timedelta(days=1), 21)
        # Back in the store from that evening: nothing dated before may sell them.
        for line in back:
            c.stock.take(store, line.edition_id, line.from_condition, line.qty)
        c.returns.append((day + timedelta(days=2), back))
    elif back:
        for line in back:  # the event is still on: the copies stay on its table
            c.stock.take(store, line.edition_id, line.from_condition, line.qty)
            c.stock.put(table, line.edition_id, line.from_condition, line.qty)


def _write_off(c: _Campaign, day: date, section: Section) -> bool:
    edition = c.editions[c.rng.randrange(len(c.editions))]
    _one_move(c, "write_off", edition, c.rng.randint(1, 3), c.store, c.written_off, section, day)
    return True


def _customer_return(c: _Campaign, day: date, section: Section) -> bool:
    wanted = c.rng.randint(1, 2)
    _one_move(c, "customer_return", c.editions[0], wanted, c.customers, c.store, section, day)
    return True


STEPS = {
    "shipment": _ship,
    "store": _sell_at_store,
    "event": _hold_event,
    "write_off": _write_off,
    "return": _customer_return,
}


# What the steps share: sales (some voided) and single moves.


def _sell(
    c: _Campaign, place_id: int, section: Section, day: date, copies: list[float], signed: float
) -> None:
    """A batch of sales at a place, posted at the end of the day; about one sale in a
    hundred is voided just after."""
    lines = _sales_lines(c, place_id, section, copies, signed)
    if not lines:
        return
    at = _at(day, c.rng, 19)
    document = post_document(c.session, "sales_batch", lines, occurred_at=at)
    moves = c.session.scalars(select(Move.id).where(Move.document_id == document.id))
    voided = [m for m in moves if c.rng.random() < 0.01]
    if voided:
        _void(c, voided, at + timedelta(minutes=1))


def _sales_lines(
    c: _Campaign, place_id: int, section: Section, copies: list[float], signed_share: float
) -> list[MoveLine]:
    """Sales of one to three copies each, of each edition, as far as the place has them."""
    customers = c.customers[section.id].id
    lines = []
    for e, edition in enumerate(c.editions):
        wanted = int(copies[e])
        while wanted > 0:
            condition, got = _take_for_sale(c, place_id, edition.id, wanted, signed_share)
            if not got:
                break
            c.stock.put(customers, edition.id, condition, got)
            lines.append(MoveLine("sale", edition.id, got, place_id, customers, condition))
            wanted -= got
    return lines


def _take_for_sale(
    c: _Campaign, place_id: int, edition_id: int, wanted: int, signed_share: float
) -> tuple[str, int]:
    """One sale's copies: signed ones if the buyer wants them and there are any."""
    qty = 1 if c.rng.random() < 0.8 else c.rng.choice((2, 3))
    condition = "signed" if c.rng.random() < signed_share else "unsigned"
    got = c.stock.take(place_id, edition_id, condition, min(qty, wanted))
    if not got and condition == "signed":
        condition = "unsigned"
        got = c.stock.take(place_id, edition_id, condition, min(qty, wanted))
    return condition, got


def _void(c: _Campaign, voided: list[int], at: datetime) -> None:
    for move in c.session.scalars(select(Move).where(Move.id.in_(voided))):
        c.stock.take(move.to_location_id, move.edition_id, move.to_condition, move.qty)
        c.stock.put(move.from_location_id, move.edition_id, move.from_condition, move.qty)
    ledger.reverse(
        c.session,
        voided,
        Document(kind="reversal", note="voided"),
        occurred_at=at,
        note="voided",
    )


def _one_move(
    c: _Campaign,
    kind: str,
    edition: Edition,
    wanted: int,
    source: dict[int, Location],
    target: dict[int, Location],
    section: Section,
    day: date,
) -> None:
    """Up to ``wanted`` copies from a section's place to another, if there are any."""
    source_id, target_id = source[section.id].id, target[section.id].id
    qty = c.stock.take(source_id, edition.id, "unsigned", wanted)
    if qty:
        c.stock.put(target_id, edition.id, "unsigned", qty)
        # After the day's sales, which it must not take copies from.
        c.post(kind, [MoveLine(kind, edition.id, qty, source_id, target_id)], day, 20)
