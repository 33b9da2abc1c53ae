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
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.places import LocationKind
from tracker.domain.terms import Terms
from tracker.ledger import MoveLine
from tracker.models import Document, Location, Move, Section
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

    title = catalogue.create_title(
        session, name="In Defence of Lenin", authors=["Alan Woods", "Rob Sewell"]
    )
    editions = []
    for isbn, language, fmt, price in EDITIONS:
        editions.append(
            catalogue.create_edition(
                session,
                title=title,
                isbn=_isbn(isbn[:12]),
                language=language,
                format=fmt,
                list_price=price,
                currency="GBP",
            )
        )
    places.ensure_publisher_locations(session)
    sections: list[Section] = []
    for code, name, currency, _ in chosen:
        sections.append(
            places.create_section(
                session, name=f"{name} section", country_code=code, currency=currency
            )
        )
    session.flush()
    warehouse = places.publisher_location(session, LocationKind.WAREHOUSE)
    printer = places.publisher_location(session, LocationKind.PRINTER)

    # Events: spread over the year; the first section has one coming up, with nothing
    # sent to it yet (the dashboard flags it).
    events = defaultdict(list)
    for i, section in enumerate(sections):
        for k in range(events_per_section):
            day = start + timedelta(days=int((k + 0.5) * 364 / events_per_section) + i % 7)
            if day > end - timedelta(days=3):
                day = end - timedelta(days=3)
            events[section.id].append(
                event_service.create_event(
                    session,
                    None,
                    section.id,
                    event_service.EventDetails(
                        name=f"{section.name}: meeting {k + 1}",
                        kind="public_meeting",
                        starts_on=day,
                        ends_on=day + timedelta(days=1),
                        city=section.country.name if section.country else None,
                    ),
                )
            )
    if sections:
        event_service.create_event(
            session,
            None,
            sections[0].id,
            event_service.EventDetails(
                name=f"{sections[0].name}: book launch",
                kind="launch",
                starts_on=end + timedelta(days=7),
            ),
        )
    session.flush()

    # What sales come to: the moves left once the other postings are counted.
    overhead = (
        len(sections) * 12 * len(editions) * 2  # shipments: dispatch, receipt
        + len(sections) * events_per_section * (len(editions) * 4 + 2)  # events
        + len(sections) * 12  # returns, write-offs
        + len(editions) * 2  # print runs
    )
    sale_moves = max(moves - overhead, len(sections) * WEEKS)
    weights = [w for *_, w in chosen]
    per_section = [sale_moves * w / sum(weights) for w in weights]

    # Each section's planned copies sold per week and edition (1.25 copies a move).
    plan = {
        s.id: [
            [
                per_section[i] / WEEKS * 1.25 * EDITION_SHARE[e] * rng.uniform(0.6, 1.4)
                for e in range(3)
            ]
            for _ in range(WEEKS)
        ]
        for i, s in enumerate(sections)
    }
    stock = _Stock()
    total_needed = [
        int(sum(plan[s.id][w][e] for s in sections for w in range(WEEKS)) * 1.35) + 500
        for e in range(len(editions))
    ]
    day0 = start
    for e, edition in enumerate(editions):
        # A print run is at most half a million copies (a move holds at most a million).
        left = total_needed[e]
        while left > 0:
            run = min(left, 500_000)
            post_document(
                session,
                "print_run",
                [MoveLine("print_run", edition.id, run, printer.id, warehouse.id)],
                occurred_at=_at(day0, rng, 8),
            )
            stock.put(warehouse.id, edition.id, "unsigned", run)
            left -= run

    # Postings by day, in order: shipments arrive before the sales they feed.
    timeline: list[tuple[date, int, object]] = []
    for section in sections:
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

    store = {s.id: places_service.store_of(s) for s in sections}
    customers = {s.id: s.location_of_kind(LocationKind.CUSTOMERS) for s in sections}
    written_off = {s.id: s.location_of_kind(LocationKind.WRITTEN_OFF) for s in sections}
    postings = 0

    def sales_lines(place_id: int, section: Section, copies: list[float], signed_share: float):
        lines = []
        for e, edition in enumerate(editions):
            wanted = int(copies[e])
            while wanted > 0:
                qty = 1 if rng.random() < 0.8 else rng.choice((2, 3))
                condition = "signed" if rng.random() < signed_share else "unsigned"
                got = stock.take(place_id, edition.id, condition, min(qty, wanted))
                if not got and condition == "signed":
                    condition = "unsigned"
                    got = stock.take(place_id, edition.id, condition, min(qty, wanted))
                if not got:
                    break
                stock.put(customers[section.id].id, edition.id, condition, got)
                lines.append(
                    MoveLine("sale", edition.id, got, place_id, customers[section.id].id, condition)
                )
                wanted -= got
        return lines

    def sell(place_id: int, section: Section, day: date, copies: list[float], signed: float):
        lines = sales_lines(place_id, section, copies, signed)
        if not lines:
            return
        at = _at(day, rng, 19)
        document = post_document(session, "sales_batch", lines, occurred_at=at)
        # About one sale in a hundred is voided the next day.
        voided = [
            m
            for m in session.scalars(select(Move.id).where(Move.document_id == document.id))
            if rng.random() < 0.01
        ]
        if voided:
            for move in session.scalars(select(Move).where(Move.id.in_(voided))):
                stock.take(move.to_location_id, move.edition_id, move.to_condition, move.qty)
                stock.put(move.from_location_id, move.edition_id, move.from_condition, move.qty)
            ledger.reverse(
                session,
                voided,
                Document(kind="reversal", note="voided"),
                occurred_at=at + timedelta(hours=14),
                note="voided",
            )

    def one_move(kind: str, edition, wanted: int, source: dict, target: dict, section, day):
        """Up to ``wanted`` copies from a section's place to another, if there are any."""
        qty = stock.take(source[section.id].id, edition.id, "unsigned", wanted)
        if qty:
            stock.put(target[section.id].id, edition.id, "unsigned", qty)
            post_document(
                session,
                kind,
                [MoveLine(kind, edition.id, qty, source[section.id].id, target[section.id].id)],
                occurred_at=_at(day, rng),
            )

    for day, _order, (what, section, *rest) in timeline:
        if day > end:
            continue
        if what == "shipment":
            month, weeks = rest
            lines = []
            for e, edition in enumerate(editions):
                qty = int(sum(plan[section.id][w][e] for w in weeks) * 1.3) + 5
                qty = min(qty, stock.qty[(warehouse.id, edition.id, "unsigned")])
                if qty > 0:
                    lines.append(shipment_service.LineInput(edition.id, qty, Decimal("12.50")))
            if not lines:
                continue
            shipment = shipment_service.create(
                session,
                None,
                direction="outbound",
                section_id=section.id,
                lines=lines,
                terms=Terms.FIRM_SALE if month % 2 else Terms.SALE_OR_RETURN,
                expected_on=day + timedelta(days=10),
            )
            shipment_service.dispatch(session, None, shipment.id, when=_at(day, rng, 10))
            for line in lines:
                stock.take(warehouse.id, line.edition_id, "unsigned", line.qty)
            arrives = day + timedelta(days=rng.randint(4, 9))
            # Every other section's last shipment is held up on the way (overdue).
            delayed = month == 11 and sections.index(section) % 2 == 1
            if arrives <= end and not delayed:
                receipts_service.receive(
                    session,
                    None,
                    shipment.id,
                    [
                        receipts_service.ReceiptInput(line.id, received=line.qty)
                        for line in shipment.lines
                    ],
                    when=_at(arrives, rng, 11),
                )
                for line in shipment.lines:
                    stock.put(store[section.id].id, line.edition_id, "unsigned", line.qty)
        elif what == "store":
            (week,) = rest
            sell(store[section.id].id, section, day, plan[section.id][week], 0.05)
        elif what == "event":
            (event,) = rest
            table = event.location_id
            week = min((day - start).days // 7, WEEKS - 1)
            brought = []
            for e, edition in enumerate(editions):
                for condition in ("unsigned", "signed"):
                    qty = stock.take(
                        store[section.id].id,
                        edition.id,
                        condition,
                        int(plan[section.id][week][e] * 2) + 10
                        if condition == "unsigned"
                        else 10**9,
                    )
                    if qty:
                        stock.put(table, edition.id, condition, qty)
                        brought.append(
                            MoveLine(
                                "transfer", edition.id, qty, store[section.id].id, table, condition
                            )
                        )
            if not brought:
                continue
            post_document(session, "transfer", brought, occurred_at=_at(day, rng, 9))
            to_sign = stock.take(table, editions[0].id, "unsigned", 40)
            if to_sign:
                stock.put(table, editions[0].id, "signed", to_sign)
                post_document(
                    session,
                    "signing",
                    [
                        MoveLine(
                            "signing", editions[0].id, to_sign, table, table, "unsigned", "signed"
                        )
                    ],
                    occurred_at=_at(day, rng, 10),
                )
            for offset in range(2):
                share = [plan[section.id][week][e] * 0.8 for e in range(3)]
                sell(table, section, day + timedelta(days=offset), share, SIGNED_SHARE)
            back = []
            for edition in editions:
                for condition in ("unsigned", "signed"):
                    qty = stock.take(table, edition.id, condition, 10**9)
                    if qty:
                        stock.put(store[section.id].id, edition.id, condition, qty)
                        back.append(
                            MoveLine(
                                "transfer", edition.id, qty, table, store[section.id].id, condition
                            )
                        )
            if back and day + timedelta(days=1) <= end:
                post_document(
                    session, "transfer", back, occurred_at=_at(day + timedelta(days=1), rng, 21)
                )
            elif back:
                for line in back:  # the event is still on: the copies stay on its table
                    stock.take(store[section.id].id, line.edition_id, line.from_condition, line.qty)
                    stock.put(table, line.edition_id, line.from_condition, line.qty)
        elif what == "write_off":
            edition = editions[rng.randrange(len(editions))]
            one_move("write_off", edition, rng.randint(1, 3), store, written_off, section, day)
        elif what == "return":
            one_move(
                "customer_return", editions[0], rng.randint(1, 2), customers, store, section, day
            )
        postings += 1
        if commit and postings % 25 == 0:
            session.commit()
            if progress:
                progress(day)
    if commit:
        session.commit()
    else:
        session.flush()
    return Summary(
        moves=session.scalar(select(func.count()).select_from(Move)) or 0,
        documents=session.scalar(select(func.count()).select_from(Document)) or 0,
        sections=len(sections),
        locations=session.scalar(select(func.count()).select_from(Location)) or 0,
        events=sum(len(v) for v in events.values()) + (1 if sections else 0),
        seconds=time.perf_counter() - started,
    )
