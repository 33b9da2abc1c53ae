"""The coordinators' dashboard: every country's copies over a period, at a glance.

Figures come from what the ledger keeps with every posting, never from summing the
moves: positions from the balances (less the weekly changes since the period's end, for
a period in the past), and flows (received, sold, signed, written off) from the weekly
roll-up. So a render costs the same dozen grouped queries at ten thousand moves or at
ten million, whatever the number of countries or events.

A period is made of whole weeks (Monday to Sunday, UTC), the roll-up's grain.

* received: copies that arrived at the section's places (receipts of shipments, print
  runs straight to a section) in the period;
* in transit, on hand: where copies were at the end of the period; in transit counts
  the copies on their way to the section and those it sent back that the warehouse has
  not received yet (they are still the section's to account for);
* sold: sales less voids and customers' returns, in the period; signed: copies signed;
  written off: written off from the section's stock; lost in transit: damaged or
  missing on receipt;
* how on hand adds up, over the period: on hand at its start + received - sold -
  written off - sent back (returns to the publisher) + from other sections (transfers,
  net) + stocktake differences (net) = on hand at its end, for every row;
* sell-through: sold / received, in the period;
* weeks of cover: on hand / the average weekly sales over the period's last four weeks;
* outstanding: what the section owes the publisher now (its statement's balance), in the
  publisher's currency at the rate an admin entered; money is not split by edition.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, joinedload

from tracker.domain.distribution import Direction, ShipmentStatus
from tracker.domain.events import EventStatus
from tracker.domain.places import PHYSICAL_KINDS, LocationKind
from tracker.domain.stock import Condition, FlowMetric
from tracker.models import (
    AuditLink,
    Balance,
    Country,
    Edition,
    Event,
    Location,
    Move,
    Receipt,
    ReceiptLine,
    Section,
    Shipment,
    ShipmentLine,
    WeeklyFlow,
)
from tracker.queries.prices import rates_on
from tracker.queries.statements import convert, owed_by_section
from tracker.services.alerts import Thresholds, thresholds_by_section

K = LocationKind
M = FlowMetric

# Weeks of sales that weeks of cover are reckoned from.
RECENT_WEEKS = 4
# The longest period a page shows, week by week.
MAX_WEEKS = 261
# Events starting this soon with no copies sent to them are flagged.
EVENT_NOTICE_DAYS = 14


def _moment(day: date) -> datetime:
    """Midnight (UTC) that starts a day."""
    return datetime.combine(day, time(), tzinfo=UTC)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Period:
    """Whole weeks: from a Monday to a Sunday."""

    first: date
    last: date

    @classmethod
    def covering(cls, start: date, end: date) -> Period:
        """The whole weeks that hold ``start`` to ``end``."""
        return cls(monday(start), monday(end) + timedelta(days=6))

    @classmethod
    def weeks_to(cls, end: date, weeks: int = 52) -> Period:
        """``weeks`` whole weeks, the last holding ``end``."""
        last_monday = monday(end)
        return cls(last_monday - timedelta(weeks=weeks - 1), last_monday + timedelta(days=6))

    @property
    def weeks(self) -> list[date]:
        """The Mondays of its weeks."""
        count = (self.last - self.first).days // 7 + 1
        return [self.first + timedelta(weeks=i) for i in range(count)]

    @property
    def recent_first(self) -> date:
        """The Monday that starts the last ``RECENT_WEEKS`` weeks of the period."""
        return monday(self.last) - timedelta(weeks=RECENT_WEEKS - 1)

    def __str__(self) -> str:
        return f"{self.first:%-d %b %Y} – {self.last:%-d %b %Y}"  # noqa: RUF001


# The copies a row of the dashboard counts (a total adds them up).
COUNTS = (
    "received",
    "in_transit",
    "on_hand_unsigned",
    "on_hand_signed",
    "sold_unsigned",
    "sold_signed",
    "signed",
    "written_off",
    "recent_sold",
    "on_hand_at_start",
    "lost_in_transit",
    "sent_back",
    "transferred",
    "counted",
)


@dataclass
class Figures:
    """One row of the dashboard: a section, a country, or a total."""

    received: int = 0
    in_transit: int = 0
    on_hand_unsigned: int = 0
    on_hand_signed: int = 0
    sold_unsigned: int = 0
    sold_signed: int = 0
    signed: int = 0
    written_off: int = 0
    # Copies sold in the period's last four weeks.
    recent_sold: int = 0
    # How on hand came to be: what was there when the period began, and what went out
    # of or came into the section's places besides receipts, sales and write-offs.
    on_hand_at_start: int = 0
    lost_in_transit: int = 0
    sent_back: int = 0
    # Net: from other sections (+) or to them (-); found (+) or short (-) at counts.
    transferred: int = 0
    counted: int = 0
    # In the publisher's currency; None when no section's balance could be converted
    # (its currency has no rate), or there is no section.
    outstanding_minor: int | None = None
    # The sections whose outstanding balance could not be converted.
    unconverted: list[str] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        return self.on_hand_unsigned + self.on_hand_signed

    @property
    def sold(self) -> int:
        return self.sold_unsigned + self.sold_signed

    @property
    def on_hand_reckoned(self) -> int:
        """On hand at the end, as the period's figures reckon it from its start."""
        return (
            self.on_hand_at_start
            + self.received
            - self.sold
            - self.written_off
            - self.sent_back
            + self.transferred
            + self.counted
        )

    @property
    def sell_through(self) -> Decimal | None:
        """Sold / received in the period (a fraction), None when nothing was received."""
        if self.received <= 0:
            return None
        return Decimal(self.sold) / Decimal(self.received)

    @property
    def weekly_sales(self) -> Decimal:
        return Decimal(self.recent_sold) / RECENT_WEEKS

    @property
    def weeks_of_cover(self) -> Decimal | None:
        """On hand / average weekly sales of the last four weeks; None: no recent sales."""
        if self.recent_sold <= 0:
            return None
        return (Decimal(self.on_hand) / self.weekly_sales).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def add(self, other: Figures) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        # A total leaves out the sections it could not convert, and names them.
        self.unconverted += other.unconverted
        if other.outstanding_minor is not None:
            self.outstanding_minor = (self.outstanding_minor or 0) + other.outstanding_minor


@dataclass
class Row:
    """A country (its sections under it) or one section."""

    key: str
    name: str
    country: Country
    section: Section | None
    figures: Figures = field(default_factory=Figures)
    sections: list[Row] = field(default_factory=list)
    # Copies sold, week by week over the period.
    weekly: list[int] = field(default_factory=list)


@dataclass
class World:
    """The publisher's view over the period: printed, where copies were at its end,
    and what was sold and signed everywhere."""

    printed: int = 0
    in_warehouse: int = 0
    in_transit: int = 0
    with_sections: int = 0
    sold: int = 0
    signed: int = 0


@dataclass
class Alert:
    kind: str  # low_cover, low_stock, overdue_shipment, event_without_stock
    message: str
    section: Section
    # What to open: ('shipments.detail', {'shipment_id': 7}) and such.
    link: tuple[str, dict] | None = None


@dataclass
class Dashboard:
    period: Period
    edition: Edition | None
    country: Country | None
    section: Section | None
    # A treasurer's dashboard: their section only.
    scoped: bool
    # Countries (each with its sections), or sections when one country or section is
    # chosen.
    rows: list[Row]
    by_section: bool
    total: Figures
    world: World | None
    weeks: list[date]
    alerts: list[Alert]
    currency: str
    # The latest week with any copies moved (None: the ledger is empty).
    latest_week: date | None
    first_week: date | None
    thresholds: dict[int, Thresholds]

    @property
    def has_activity(self) -> bool:
        """Whether anything was received, sold, signed or written off in the period, or
        any copies were held at its end."""
        t = self.total
        return bool(
            t.received
            or t.sold
            or t.signed
            or t.written_off
            or t.on_hand
            or t.in_transit
            or (self.world and (self.world.printed or self.world.in_warehouse))
        )

    @property
    def latest_period(self) -> Period | None:
        """The 52 weeks that end with the latest week with activity."""
        if self.latest_week is None:
            return None
        return Period.weeks_to(self.latest_week)

    @property
    def all_time(self) -> Period | None:
        if self.latest_week is None or self.first_week is None:
            return None
        return Period(self.first_week, self.latest_week + timedelta(days=6))

    @property
    def weekly_total(self) -> list[int]:
        return [sum(week) for week in zip(*(r.weekly for r in self.rows), strict=True)] or [
            0 for _ in self.weeks
        ]


def activity_weeks(session: Session) -> tuple[date | None, date | None]:
    """The first and the latest weeks with any copies moved (the roll-up's key begins
    with the week: both ends of its index)."""
    first, latest = session.execute(
        select(func.min(WeeklyFlow.week), func.max(WeeklyFlow.week))
    ).one()
    return first, latest


def default_period(latest_week: date | None, today: date) -> Period:
    """The 52 weeks to this week; or, when nothing moved in them, the 52 weeks to the
    latest week with activity (a campaign that lies in the past)."""
    recent = Period.weeks_to(today)
    if latest_week is None or latest_week >= recent.first:
        return recent
    return Period.weeks_to(latest_week)


def build(
    session: Session,
    *,
    period: Period,
    today: date,
    publisher_currency: str,
    edition: Edition | None = None,
    country: Country | None = None,
    section: Section | None = None,
    scoped: bool = False,
    activity: tuple[date | None, date | None] | None = None,
    sections: list[Section] | None = None,
) -> Dashboard:
    """The dashboard for a period, optionally one edition, one country or one section
    (``scoped``: a treasurer's, limited to ``section``). ``sections``: every section
    (with its country), when the caller has them already."""
    first_week, latest_week = activity or activity_weeks(session)
    if sections is None:
        sections = list(
            session.scalars(
                select(Section).options(joinedload(Section.country)).order_by(Section.name)
            )
        )
    if section is not None:
        sections = [s for s in sections if s.id == section.id]
    elif country is not None:
        sections = [s for s in sections if s.country_code == country.code]
    section_ids = [s.id for s in sections]
    whole_world = section is None and country is None and not scoped

    # Every location, its kind and section (a few dozen rows).
    location_query = select(Location.id, Location.kind, Location.section_id)
    if not whole_world:
        location_query = location_query.where(Location.section_id.in_(section_ids))
    places = {loc: (kind, sec) for loc, kind, sec in session.execute(location_query)}
    place_ids = list(places)

    def edition_filter(query, column):
        return query if edition is None else query.where(column == edition.id)

    def at_places(query, column):
        # Every place: no list of them to send (and for the database to plan with).
        return query if whole_world else query.where(column.in_(place_ids))

    # Positions at the end of the period: the balances, less what changed since.
    held: dict[tuple[int, str], int] = defaultdict(int)
    for location_id, condition, qty in session.execute(
        edition_filter(
            at_places(
                select(Balance.location_id, Balance.condition, func.sum(Balance.qty)),
                Balance.location_id,
            ).group_by(Balance.location_id, Balance.condition),
            Balance.edition_id,
        )
    ):
        held[(location_id, condition)] += int(qty)

    def rolled_up(metrics: list[FlowMetric], *weeks) -> dict[tuple[int, str], int]:
        """The roll-up's copies by place and metric, over the weeks asked."""
        query = at_places(
            select(WeeklyFlow.location_id, WeeklyFlow.metric, func.sum(WeeklyFlow.qty)),
            WeeklyFlow.location_id,
        ).where(WeeklyFlow.metric.in_(metrics), *weeks)
        return {
            (location_id, metric): int(qty)
            for location_id, metric, qty in session.execute(
                edition_filter(
                    query.group_by(WeeklyFlow.location_id, WeeklyFlow.metric),
                    WeeklyFlow.edition_id,
                )
            )
        }

    if period.last < monday(today):
        since = rolled_up([M.HELD_UNSIGNED, M.HELD_SIGNED], WeeklyFlow.week > period.last)
        for (location_id, metric), qty in since.items():
            held[(location_id, metric.removeprefix("held_"))] -= qty

    # Flows over the period, by place and metric.
    flows = rolled_up(
        [
            M.RECEIVED,
            M.SOLD_UNSIGNED,
            M.SOLD_SIGNED,
            M.SIGNED,
            M.WRITTEN_OFF,
            M.LOST_IN_TRANSIT,
            M.DISPATCHED,
            M.TRANSFERRED,
            M.COUNTED,
            M.HELD_UNSIGNED,
            M.HELD_SIGNED,
        ],
        WeeklyFlow.week.between(period.first, period.last),
    )
    returning = _returns_in_transit(
        session,
        _moment(period.last + timedelta(days=1)),
        None if whole_world else section_ids,
        edition,
    )
    # Printed (the world's figure): copies out of the printer in the period, less any
    # taken back; the printer's own moves are few, found by its place in the ledger.
    printed = 0
    if whole_world:
        printers = [loc for loc, (kind, _) in places.items() if kind == K.PRINTER]
        start, stop = _moment(period.first), _moment(period.last + timedelta(days=1))

        def out_of(side):
            return (
                edition_filter(
                    select(func.coalesce(func.sum(Move.qty), 0)).where(
                        side.in_(printers), Move.occurred_at >= start, Move.occurred_at < stop
                    ),
                    Move.edition_id,
                )
            ).scalar_subquery()

        printed = int(
            session.scalar(select(out_of(Move.from_location_id) - out_of(Move.to_location_id)))
        )

    # Sales week by week, at the customers of each section (for the chart, and for the
    # recent weeks that weeks of cover divide by, which may begin before the period).
    recent_first = period.recent_first
    weekly: dict[tuple[date, int], int] = defaultdict(int)
    for week, location_id, qty in session.execute(
        edition_filter(
            at_places(
                select(WeeklyFlow.week, WeeklyFlow.location_id, func.sum(WeeklyFlow.qty))
                .join(Location, Location.id == WeeklyFlow.location_id)
                .where(
                    WeeklyFlow.metric.in_([M.SOLD_UNSIGNED, M.SOLD_SIGNED]),
                    WeeklyFlow.week.between(min(period.first, recent_first), period.last),
                    Location.kind == K.CUSTOMERS,
                    Location.section_id.is_not(None),
                ),
                WeeklyFlow.location_id,
            ).group_by(WeeklyFlow.week, WeeklyFlow.location_id),
            WeeklyFlow.edition_id,
        )
    ):
        weekly[(week, location_id)] += int(qty)

    # Money: what each section owes now, in the publisher's currency.
    owed = owed_by_section(session, None if whole_world else section_ids)
    rates = rates_on(session, today)

    weeks = period.weeks
    by_id: dict[int, Row] = {}
    for s in sections:
        by_id[s.id] = Row(
            key=str(s.id), name=s.name, country=s.country, section=s, weekly=[0] * len(weeks)
        )
    index = {week: i for i, week in enumerate(weeks)}
    world = World(printed=printed)
    for location_id, (kind, section_id) in places.items():
        unsigned = held.get((location_id, Condition.UNSIGNED), 0)
        signed = held.get((location_id, Condition.SIGNED), 0)
        row = by_id.get(section_id) if section_id is not None else None
        sold = flows.get((location_id, M.SOLD_UNSIGNED), 0) + flows.get(
            (location_id, M.SOLD_SIGNED), 0
        )
        world.sold += sold
        world.signed += flows.get((location_id, M.SIGNED), 0)
        if kind == K.WAREHOUSE:
            world.in_warehouse += unsigned + signed
        elif kind == K.IN_TRANSIT:
            world.in_transit += unsigned + signed
        elif kind in PHYSICAL_KINDS:
            world.with_sections += unsigned + signed
        if row is None:
            continue
        f = row.figures
        f.received += flows.get((location_id, M.RECEIVED), 0)
        f.signed += flows.get((location_id, M.SIGNED), 0)
        if kind in PHYSICAL_KINDS:
            f.on_hand_unsigned += unsigned
            f.on_hand_signed += signed
            f.on_hand_at_start += (
                unsigned
                + signed
                - flows.get((location_id, M.HELD_UNSIGNED), 0)
                - flows.get((location_id, M.HELD_SIGNED), 0)
            )
            f.sent_back += flows.get((location_id, M.DISPATCHED), 0)
            f.transferred += flows.get((location_id, M.TRANSFERRED), 0)
            f.counted += flows.get((location_id, M.COUNTED), 0)
        elif kind == K.IN_TRANSIT:
            f.in_transit += unsigned + signed
        elif kind == K.CUSTOMERS:
            f.sold_unsigned += flows.get((location_id, M.SOLD_UNSIGNED), 0)
            f.sold_signed += flows.get((location_id, M.SOLD_SIGNED), 0)
        elif kind == K.WRITTEN_OFF:
            f.written_off += flows.get((location_id, M.WRITTEN_OFF), 0)
            f.lost_in_transit += flows.get((location_id, M.LOST_IN_TRANSIT), 0)
    # Copies a section sent back are in the publisher's transit, but still the
    # section's until the warehouse has them.
    for section_id, qty in returning.items():
        if section_id in by_id:
            by_id[section_id].figures.in_transit += qty
    for (week, location_id), qty in weekly.items():
        row = by_id[places[location_id][1]]
        if week >= recent_first:
            row.figures.recent_sold += qty
        if week in index:
            row.weekly[index[week]] += qty
    for s in sections:
        account = owed.get(s.id)
        outstanding = account.outstanding_minor if account else 0
        _rate, _on, converted = convert(outstanding, s.currency, publisher_currency, rates)
        by_id[s.id].figures.outstanding_minor = converted
        if converted is None:
            by_id[s.id].figures.unconverted.append(s.name)

    by_section = not whole_world
    if by_section:
        rows = sorted(by_id.values(), key=lambda r: (r.country.name, r.name))
    else:
        countries: dict[str, Row] = {}
        for row in sorted(by_id.values(), key=lambda r: (r.country.name, r.name)):
            country_row = countries.get(row.country.code)
            if country_row is None:
                country_row = countries[row.country.code] = Row(
                    key=row.country.code,
                    name=row.country.name,
                    country=row.country,
                    section=None,
                    weekly=[0] * len(weeks),
                )
            country_row.sections.append(row)
            country_row.figures.add(row.figures)
            country_row.weekly = [
                a + b for a, b in zip(country_row.weekly, row.weekly, strict=True)
            ]
        rows = list(countries.values())
    total = Figures()
    for row in rows:
        total.add(row.figures)

    thresholds = thresholds_by_section(session, sections)
    alerts = _alerts(
        session,
        list(by_id.values()),
        thresholds,
        None if whole_world else section_ids,
        today,
        period,
    )
    return Dashboard(
        period=period,
        edition=edition,
        country=country,
        section=section,
        scoped=scoped,
        rows=rows,
        by_section=by_section,
        total=total,
        world=world if whole_world else None,
        weeks=weeks,
        alerts=alerts,
        currency=publisher_currency,
        latest_week=latest_week,
        first_week=first_week,
        thresholds=thresholds,
    )


def _alerts(
    session: Session,
    section_rows: list[Row],
    thresholds: dict[int, Thresholds],
    section_ids: list[int] | None,
    today: date,
    period: Period,
) -> list[Alert]:
    """Alerts of the sections shown (``section_ids`` None: every section)."""
    alerts: list[Alert] = []
    for row in section_rows:
        section = row.section
        assert section is not None
        limits = thresholds.get(section.id, Thresholds())
        f = row.figures
        cover = f.weeks_of_cover
        if limits.weeks_of_cover and cover is not None and cover < limits.weeks_of_cover:
            alerts.append(
                Alert(
                    "low_cover",
                    f"{section.name}: {cover} weeks of cover at the last four weeks' pace "
                    f"({f.on_hand:,} on hand, {f.weekly_sales:.1f} sold a week); the "
                    f"threshold is {limits.weeks_of_cover}.",
                    section,
                    ("dashboard.section", {"section_id": section.id}),
                )
            )
        if limits.copies and f.on_hand < limits.copies:
            alerts.append(
                Alert(
                    "low_stock",
                    f"{section.name}: {f.on_hand:,} "
                    f"{'copy' if f.on_hand == 1 else 'copies'} on hand at "
                    f"{period.last:%-d %b %Y}; the threshold is {limits.copies:,}.",
                    section,
                    ("dashboard.section", {"section_id": section.id}),
                )
            )
    sections = {row.section.id: row.section for row in section_rows if row.section}
    for shipment in session.scalars(
        _of_sections(
            select(Shipment).where(
                Shipment.status.in_([ShipmentStatus.DISPATCHED, ShipmentStatus.PARTLY_RECEIVED]),
                Shipment.expected_on < today,
            ),
            Shipment.section_id,
            section_ids,
        ).order_by(Shipment.expected_on)
    ):
        days = (today - shipment.expected_on).days
        towards = "to" if shipment.direction == Direction.OUTBOUND else "back from"
        alerts.append(
            Alert(
                "overdue_shipment",
                f"Shipment {shipment.document_id} {towards} {sections[shipment.section_id].name} "
                f"was expected on {shipment.expected_on:%-d %b %Y}: "
                f"{days} {'day' if days == 1 else 'days'} overdue.",
                sections[shipment.section_id],
                ("shipments.detail", {"shipment_id": shipment.document_id}),
            )
        )
    soon = today + timedelta(days=EVENT_NOTICE_DAYS)
    for event in session.scalars(
        _of_sections(
            select(Event).where(
                Event.status == EventStatus.OPEN,
                Event.starts_on.between(today, soon),
                ~exists().where(Move.to_location_id == Event.location_id),
            ),
            Event.section_id,
            section_ids,
        ).order_by(Event.starts_on)
    ):
        days = (event.starts_on - today).days
        when = "today" if days == 0 else f"in {days} {'day' if days == 1 else 'days'}"
        alerts.append(
            Alert(
                "event_without_stock",
                f"{event.name} ({sections[event.section_id].name}) starts {when}, on "
                f"{event.starts_on:%-d %b %Y}, and no copies have been sent to it.",
                sections[event.section_id],
                ("events.detail", {"event_id": event.id}),
            )
        )
    return alerts


def _returns_in_transit(
    session: Session, before: datetime, section_ids: list[int] | None, edition: Edition | None
) -> dict[int, int]:
    """Copies each section sent back to the publisher before ``before`` that had not
    been received (or found damaged or missing) at the warehouse by then. Returns are
    few: two grouped queries over the shipments, whatever the size of the ledger."""
    sent = (
        select(Shipment.section_id, func.sum(ShipmentLine.qty))
        .join(ShipmentLine.shipment)
        .where(Shipment.direction == Direction.RETURN, Shipment.dispatched_at < before)
        .group_by(Shipment.section_id)
    )
    counted = (
        select(
            Shipment.section_id,
            func.sum(ReceiptLine.received + ReceiptLine.damaged + ReceiptLine.missing),
        )
        .join(ReceiptLine.receipt)
        .join(Receipt.shipment)
        .join(ReceiptLine.shipment_line)
        .where(Shipment.direction == Direction.RETURN, Receipt.received_at < before)
        .group_by(Shipment.section_id)
    )
    if edition is not None:
        sent = sent.where(ShipmentLine.edition_id == edition.id)
        counted = counted.where(ShipmentLine.edition_id == edition.id)
    sent = _of_sections(sent, Shipment.section_id, section_ids)
    counted = _of_sections(counted, Shipment.section_id, section_ids)
    away: dict[int, int] = defaultdict(int)
    for section_id, qty in session.execute(sent):
        away[section_id] += int(qty)
    for section_id, qty in session.execute(counted):
        away[section_id] -= int(qty)
    return {section_id: qty for section_id, qty in away.items() if qty}


def _of_sections(query, column, section_ids: list[int] | None):
    return query if section_ids is None else query.where(column.in_(section_ids))


def data_version(session: Session) -> str:
    """What changes whenever anything the dashboard shows changes.

    Every change is written with an audit row in its transaction, and every audit row
    gets a link of the hash chain when its transaction commits, numbered without gaps
    in the order of the commits (under a lock: see ``tracker.audit``). So the newest
    link's number changes with every commit that wrote, on both engines, and with
    nothing else (not with other databases' work on a shared PostgreSQL server).
    """
    return str(session.scalar(select(func.max(AuditLink.seq))))
