"""The coordinators' dashboard: every country's copies over a period, at a glance.

Figures come from what the ledger keeps with every posting, never from summing the
moves: positions from the balances (less the weekly changes since the period's end, for
a period in the past), and flows (received, sold, signed, written off...) from the
weekly roll-up. So a render costs the same dozen grouped queries at ten thousand moves
or at ten million, whatever the number of countries or events. What each figure means,
and how a row adds up, is the domain's (``tracker.domain.figures``).

Money: what each section owes the publisher now (its statement's balance), in the
publisher's currency at the rate an admin entered; money is not split by edition.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from tracker.domain.distribution import Direction
from tracker.domain.events import EventStatus
from tracker.domain.figures import (
    COUNTS,
    Alert,
    Figures,
    Row,
    Thresholds,
    World,
    by_country,
    stock_alerts,
    total,
)
from tracker.domain.money import convert
from tracker.domain.periods import Period, default_period, week_start
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition, FlowMetric
from tracker.domain.text import short_day
from tracker.domain.words import say, say_n
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
    Settings,
    Shipment,
    ShipmentLine,
    WeeklyFlow,
)
from tracker.queries.distribution import overdue_shipments
from tracker.queries.places import list_sections
from tracker.queries.prices import rates_on
from tracker.queries.statements import owed_by_section

__all__ = ["COUNTS", "Dashboard", "Figures", "Period", "build", "default_period"]

K = LocationKind
M = FlowMetric
# A SELECT narrowed by a helper keeps its columns' types.
_Query = TypeVar("_Query", bound=Select)

# Events starting this soon with no copies sent to them are flagged.
EVENT_NOTICE_DAYS = 14
# What the roll-up counts over a period, besides what places hold at its end.
_FLOWS = [
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
]


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


@dataclass
class _Scope:
    """What one render reads: the places of the sections shown, one edition or all."""

    session: Session
    places: dict[int, tuple[str, int | None]]
    section_ids: list[int] | None  # None: every section (the whole world)
    edition: Edition | None

    def of_edition(self, query: _Query, column: QueryableAttribute[int]) -> _Query:
        return query if self.edition is None else query.where(column == self.edition.id)

    def at_places(self, query: _Query, column: QueryableAttribute[int]) -> _Query:
        # Every place: no list of them to send (and for the database to plan with).
        if self.section_ids is None:
            return query
        return query.where(column.in_(list(self.places)))

    def held(self, period: Period, today: date) -> dict[tuple[int, str], int]:
        """Copies at each place by condition at the end of the period: the balances,
        less what changed since."""
        held: dict[tuple[int, str], int] = defaultdict(int)
        query = self.at_places(
            select(Balance.location_id, Balance.condition, func.sum(Balance.qty)),
            Balance.location_id,
        ).group_by(Balance.location_id, Balance.condition)
        for location_id, condition, qty in self.session.execute(
            self.of_edition(query, Balance.edition_id)
        ):
            held[(location_id, condition)] += int(qty)
        if period.last < week_start(today):
            since = self.rolled_up([M.HELD_UNSIGNED, M.HELD_SIGNED], WeeklyFlow.week > period.last)
            for (location_id, metric), qty in since.items():
                held[(location_id, metric.removeprefix("held_"))] -= qty
        return held

    def rolled_up(self, metrics: list[FlowMetric], *weeks) -> dict[tuple[int, str], int]:
        """The roll-up's copies by place and metric, over the weeks asked."""
        query = self.at_places(
            select(WeeklyFlow.location_id, WeeklyFlow.metric, func.sum(WeeklyFlow.qty)),
            WeeklyFlow.location_id,
        ).where(WeeklyFlow.metric.in_(metrics), *weeks)
        query = self.of_edition(
            query.group_by(WeeklyFlow.location_id, WeeklyFlow.metric), WeeklyFlow.edition_id
        )
        return {(place, metric): int(qty) for place, metric, qty in self.session.execute(query)}

    def printed(self, period: Period) -> int:
        """Copies out of the printer in the period, less any taken back; the printer's
        own moves are few, found by its place in the ledger."""
        printers = [loc for loc, (kind, _) in self.places.items() if kind == K.PRINTER]

        def out_of(side):
            query = select(func.coalesce(func.sum(Move.qty), 0)).where(
                side.in_(printers), Move.occurred_at >= period.start, Move.occurred_at < period.stop
            )
            return self.of_edition(query, Move.edition_id).scalar_subquery()

        return int(
            self.session.execute(
                select(out_of(Move.from_location_id) - out_of(Move.to_location_id))
            ).scalar_one()
        )

    def weekly_sales(self, first: date, last: date) -> dict[tuple[date, int], int]:
        """Copies sold week by week at the customers of each section."""
        query = self.at_places(
            select(WeeklyFlow.week, WeeklyFlow.location_id, func.sum(WeeklyFlow.qty))
            .join(Location, Location.id == WeeklyFlow.location_id)
            .where(
                WeeklyFlow.metric.in_([M.SOLD_UNSIGNED, M.SOLD_SIGNED]),
                WeeklyFlow.week.between(first, last),
                Location.kind == K.CUSTOMERS,
                Location.section_id.is_not(None),
            ),
            WeeklyFlow.location_id,
        ).group_by(WeeklyFlow.week, WeeklyFlow.location_id)
        weekly: dict[tuple[date, int], int] = defaultdict(int)
        for week, location_id, qty in self.session.execute(
            self.of_edition(query, WeeklyFlow.edition_id)
        ):
            weekly[(week, location_id)] += int(qty)
        return weekly


def _scope(
    session: Session, sections: list[Section], whole_world: bool, edition: Edition | None
) -> _Scope:
    section_ids = None if whole_world else [s.id for s in sections]
    query = select(Location.id, Location.kind, Location.section_id)
    if section_ids is not None:
        query = query.where(Location.section_id.in_(section_ids))
    places = {loc: (kind, sec) for loc, kind, sec in session.execute(query)}
    return _Scope(session, places, section_ids, edition)


def _shown(
    sections: list[Section], section: Section | None, country: Country | None
) -> list[Section]:
    if section is not None:
        return [s for s in sections if s.id == section.id]
    if country is not None:
        return [s for s in sections if s.country_code == country.code]
    return sections


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
    shown = _shown(sections if sections is not None else list_sections(session), section, country)
    whole_world = section is None and country is None and not scoped
    scope = _scope(session, shown, whole_world, edition)
    positions = _Positions(
        scope.held(period, today),
        _by_place(scope.rolled_up(_FLOWS, WeeklyFlow.week.between(period.first, period.last))),
    )
    by_id = _section_rows(scope, positions, shown, period)
    _add_money(session, by_id, shown, publisher_currency, today, whole_world)
    rows = (
        by_country(list(by_id.values()), len(period.weeks))
        if whole_world
        else sorted(by_id.values(), key=lambda r: (r.country.name, r.name))
    )
    thresholds = thresholds_by_section(session, shown)
    return Dashboard(
        period=period,
        edition=edition,
        country=country,
        section=section,
        scoped=scoped,
        rows=rows,
        by_section=not whole_world,
        total=total(rows),
        world=_world(scope, positions, period) if whole_world else None,
        weeks=period.weeks,
        alerts=_alerts(session, list(by_id.values()), thresholds, scope.section_ids, today, period),
        currency=publisher_currency,
        latest_week=latest_week,
        first_week=first_week,
        thresholds=thresholds,
    )


@dataclass
class _Positions:
    """Copies held at each place at the period's end, and each place's roll-up over
    the period by metric."""

    held: dict[tuple[int, str], int]
    flows: dict[int, dict[str, int]]

    def at(self, location_id: int) -> tuple[int, int]:
        """(unsigned, signed) at a place."""
        return (
            self.held.get((location_id, Condition.UNSIGNED), 0),
            self.held.get((location_id, Condition.SIGNED), 0),
        )


def _section_rows(
    scope: _Scope, positions: _Positions, sections: list[Section], period: Period
) -> dict[int, Row]:
    """A row per section: what its places hold and count, and its weekly sales."""
    weeks = period.weeks
    by_id = {
        s.id: Row(key=str(s.id), name=s.name, country=s.country, section=s, weekly=[0] * len(weeks))
        for s in sections
    }
    for location_id, (kind, section_id) in scope.places.items():
        if section_id in by_id:
            by_id[section_id].figures.count_place(
                kind, positions.at(location_id), positions.flows.get(location_id, {})
            )
    # Copies a section sent back are in the publisher's transit, but still the
    # section's until the warehouse has them.
    for section_id, qty in _returns_in_transit(
        scope.session, period.stop, scope.section_ids, scope.edition
    ).items():
        if section_id in by_id:
            by_id[section_id].figures.in_transit += qty
    # Sales week by week (for the chart, and for the recent weeks that weeks of cover
    # divide by, which may begin before the period).
    index = {week: i for i, week in enumerate(weeks)}
    recent_first = period.recent_first
    for (week, location_id), qty in scope.weekly_sales(
        min(period.first, recent_first), period.last
    ).items():
        section_id = scope.places[location_id][1]
        assert section_id is not None  # weekly_sales counts sections' customers only
        row = by_id[section_id]
        if week >= recent_first:
            row.figures.recent_sold += qty
        if week in index:
            row.weekly[index[week]] += qty
    return by_id


def _by_place(flows: dict[tuple[int, str], int]) -> dict[int, dict[str, int]]:
    places: dict[int, dict[str, int]] = defaultdict(dict)
    for (location_id, metric), qty in flows.items():
        places[location_id][metric] = qty
    return places


def _world(scope: _Scope, positions: _Positions, period: Period) -> World:
    world = World(printed=scope.printed(period))
    for location_id, (kind, _section) in scope.places.items():
        world.count_place(kind, positions.at(location_id), positions.flows.get(location_id, {}))
    return world


def _add_money(
    session: Session,
    by_id: dict[int, Row],
    sections: list[Section],
    currency: str,
    today: date,
    whole_world: bool,
) -> None:
    """What each section owes now, in the publisher's currency where a rate was entered."""
    owed = owed_by_section(session, None if whole_world else [s.id for s in sections])
    rates = rates_on(session, today)
    for s in sections:
        account = owed.get(s.id)
        outstanding = account.outstanding_minor if account else 0
        _rate, _on, converted = convert(outstanding, s.currency, currency, rates)
        by_id[s.id].figures.outstanding_minor = converted
        if converted is None:
            by_id[s.id].figures.unconverted.append(s.name)


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
        alerts += stock_alerts(row, thresholds.get(row.the_section.id, Thresholds()), period.last)
    sections = {row.section.id: row.section for row in section_rows if row.section}
    alerts += _overdue(session, sections, section_ids, today)
    alerts += _events_without_stock(session, sections, section_ids, today)
    return alerts


def _overdue(
    session: Session, sections: dict[int, Section], section_ids: list[int] | None, today: date
) -> list[Alert]:
    alerts = []
    for shipment in overdue_shipments(session, today, section_ids=section_ids):
        assert shipment.expected_on is not None  # the query asked for a day before today
        days = (today - shipment.expected_on).days
        values = {
            "id": shipment.document_id,
            "section": sections[shipment.section_id].name,
            "day": short_day(shipment.expected_on),
        }
        alerts.append(
            Alert(
                "overdue_shipment",
                say_n(
                    "Shipment %(id)s to %(section)s was expected on %(day)s: %(n)s day overdue.",
                    "Shipment %(id)s to %(section)s was expected on %(day)s: %(n)s days overdue.",
                    days,
                    **values,
                )
                if shipment.direction == Direction.OUTBOUND
                else say_n(
                    "Shipment %(id)s back from %(section)s was expected on %(day)s: %(n)s day "
                    "overdue.",
                    "Shipment %(id)s back from %(section)s was expected on %(day)s: %(n)s days "
                    "overdue.",
                    days,
                    **values,
                ),
                sections[shipment.section_id],
                ("shipments.detail", {"shipment_id": shipment.document_id}),
            )
        )
    return alerts


def _events_without_stock(
    session: Session, sections: dict[int, Section], section_ids: list[int] | None, today: date
) -> list[Alert]:
    alerts = []
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
        values = {
            "event": event.name,
            "section": sections[event.section_id].name,
            "day": short_day(event.starts_on),
        }
        alerts.append(
            Alert(
                "event_without_stock",
                say(
                    "%(event)s (%(section)s) starts today, on %(day)s, and no copies have been "
                    "sent to it.",
                    **values,
                )
                if days == 0
                else say_n(
                    "%(event)s (%(section)s) starts in %(n)s day, on %(day)s, and no copies "
                    "have been sent to it.",
                    "%(event)s (%(section)s) starts in %(n)s days, on %(day)s, and no copies "
                    "have been sent to it.",
                    days,
                    **values,
                ),
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


def _of_sections(
    query: _Query, column: QueryableAttribute[int], section_ids: list[int] | None
) -> _Query:
    return query if section_ids is None else query.where(column.in_(section_ids))


def default_thresholds(session: Session) -> Thresholds:
    row = session.get(Settings, 1)
    if row is None:
        return Thresholds()
    return Thresholds(row.alert_weeks_of_cover, row.alert_copies)


def thresholds_by_section(session: Session, sections: list[Section]) -> dict[int, Thresholds]:
    """Each section's thresholds in force: its own, else the defaults."""
    base = default_thresholds(session)
    return {s.id: Thresholds(s.alert_weeks_of_cover, s.alert_copies).over(base) for s in sections}


def data_version(session: Session) -> str:
    """What changes whenever anything the dashboard shows changes.

    Every change is written with an audit row in its transaction, and every audit row
    gets a link of the hash chain when its transaction commits, numbered without gaps
    in the order of the commits (under a lock: see ``tracker.audit``). So the newest
    link's number changes with every commit that wrote, on both engines, and with
    nothing else (not with other databases' work on a shared PostgreSQL server).
    """
    return str(session.scalar(select(func.max(AuditLink.seq))))
