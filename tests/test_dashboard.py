"""The dashboard's figures equal a tally made straight from the moves, on the demo
campaign and on a generated ledger, on both engines, for whole periods and past ones,
for every edition and for one; what sections owe equals their statements."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import GENERATED_END
from tracker.domain.periods import Period
from tracker.domain.periods import week_start as monday
from tracker.domain.places import PHYSICAL_KINDS, LocationKind
from tracker.models import Edition, Location, Move, Receipt, Section, Shipment
from tracker.queries import dashboard, statements
from tracker.queries.dashboard import default_thresholds
from tracker.queries.prices import rates_on
from tracker.services import alerts
from tracker.services import receipts as receipts_service
from tracker.services import sales as sales_service

K = LocationKind


@pytest.fixture
def demo_session(demo_app):
    session = demo_app.extensions["tracker.db"].session_factory()
    yield session
    session.close()


@pytest.fixture
def generated_session(generated_app):
    session = generated_app.extensions["tracker.db"].session_factory()
    yield session
    session.close()


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def tally(session: Session, period: Period, edition_id: int | None = None):
    """Every figure of the dashboard, counted move by move (no balance, no roll-up):
    by section, and for the world."""
    counts = _Tally(session, period)
    query = select(Move)
    if edition_id is not None:
        query = query.where(Move.edition_id == edition_id)
    for m in session.scalars(query):
        counts.add(m)
    return counts.sections, counts.world, counts.weekly


def _returns(session: Session) -> dict[int, int]:
    """Copies in the publisher's transit belong to the section whose return they are:
    the section of each return's documents (its dispatch, its receipts)."""
    returns = {
        document_id: section_id
        for document_id, section_id in session.execute(
            select(Shipment.document_id, Shipment.section_id).where(Shipment.direction == "return")
        )
    }
    returns.update(
        {
            document_id: returns[shipment_id]
            for document_id, shipment_id in session.execute(
                select(Receipt.document_id, Receipt.shipment_id)
            )
            if shipment_id in returns
        }
    )
    return returns


class _Tally:
    """The figures of a period, added up one move at a time. Each end of a move (where
    the copies came from, where they went) is its location's (kind, section)."""

    def __init__(self, session: Session, period: Period):
        self.places = {
            loc.id: (loc.kind, loc.section_id) for loc in session.scalars(select(Location))
        }
        self.returns = _returns(session)
        self.start, self.stop = _moment(period.first), _moment(period.last + timedelta(days=1))
        self.recent = _moment(monday(period.last) - timedelta(weeks=3))
        self.sections: dict = defaultdict(lambda: defaultdict(int))
        self.world: dict = defaultdict(int)
        self.weekly: dict = defaultdict(int)
        self.kinds = dict(session.execute(select(Move.id, Move.kind)).all())

    def add(self, m: Move) -> None:
        source = self.places[m.from_location_id]
        target = self.places[m.to_location_id]
        if m.occurred_at < self.stop:
            self._where_at_the_end(m, source, target)
        if m.occurred_at < self.start:
            self._where_at_the_start(m, source, target)
        self._sold(m, source, target)
        if not self.start <= m.occurred_at < self.stop:
            return
        self._written_off(m, source, target)
        self._sent_back(m, source, target)
        self._transferred(m, source, target)
        self._counted(m, source, target)
        self._received(m, source, target)
        self._signed(m, target)
        self._printed(m, source, target)

    def _where_at_the_end(self, m: Move, source, target) -> None:
        """Where copies were at the end of the period."""
        for (kind, section), condition, sign in (
            (source, m.from_condition, -1),
            (target, m.to_condition, 1),
        ):
            if kind in PHYSICAL_KINDS and section is not None:
                self.sections[section][f"on_hand_{condition}"] += sign * m.qty
                self.world["with_sections"] += sign * m.qty
            if kind == K.WAREHOUSE:
                self.world["in_warehouse"] += sign * m.qty
            if kind == K.IN_TRANSIT:
                self.world["in_transit"] += sign * m.qty
                owner = section if section is not None else self.returns.get(m.document_id)
                if owner is not None:
                    self.sections[owner]["in_transit"] += sign * m.qty

    def _where_at_the_start(self, m: Move, source, target) -> None:
        """Where copies were when the period began."""
        for (kind, section), sign in ((source, -1), (target, 1)):
            if kind in PHYSICAL_KINDS and section is not None:
                self.sections[section]["on_hand_at_start"] += sign * m.qty

    def _sold(self, m: Move, source, target) -> None:
        """Sold: copies into the customers, less copies out of them (in the period, and
        in its last four weeks)."""
        at = m.occurred_at
        for (kind, section), condition, sign in (
            (target, m.to_condition, 1),
            (source, m.from_condition, -1),
        ):
            if kind != K.CUSTOMERS:
                continue
            if self.start <= at < self.stop:
                self.world["sold"] += sign * m.qty
                if section is not None:
                    self.sections[section][f"sold_{condition}"] += sign * m.qty
                    self.weekly[(section, monday(at.date()))] += sign * m.qty
            if section is not None and self.recent <= at < self.stop:
                self.sections[section]["recent_sold"] += sign * m.qty

    # What follows counts only moves in the period.

    def _written_off(self, m: Move, source, target) -> None:
        """Written off from stock, or lost in transit: by where the copies were."""
        for (kind, section), other, sign in ((target, source[0], 1), (source, target[0], -1)):
            if kind == K.WRITTEN_OFF and section is not None:
                what = "lost_in_transit" if other == K.IN_TRANSIT else "written_off"
                self.sections[section][what] += sign * m.qty

    def _sent_back(self, m: Move, source, target) -> None:
        """Dispatched from a section's store (its returns), or a dispatch reversed."""
        (source_kind, source_section), (target_kind, target_section) = source, target
        if m.kind == "dispatch" and source_kind in PHYSICAL_KINDS and source_section:
            self.sections[source_section]["sent_back"] += m.qty
        undone = self.kinds.get(m.reverses_id)
        if undone == "dispatch" and target_kind in PHYSICAL_KINDS and target_section:
            self.sections[target_section]["sent_back"] -= m.qty

    def _transferred(self, m: Move, source, target) -> None:
        """Between two sections' places."""
        (source_kind, source_section), (target_kind, target_section) = source, target
        between = source_kind in PHYSICAL_KINDS and target_kind in PHYSICAL_KINDS
        if between and source_section != target_section:
            if target_section is not None:
                self.sections[target_section]["transferred"] += m.qty
            if source_section is not None:
                self.sections[source_section]["transferred"] -= m.qty

    def _counted(self, m: Move, source, target) -> None:
        """Found or short at a count."""
        (source_kind, source_section), (target_kind, target_section) = source, target
        if source_kind == K.STOCKTAKE_DIFFERENCES and target_section is not None:
            self.sections[target_section]["counted"] += m.qty
        if target_kind == K.STOCKTAKE_DIFFERENCES and source_kind in PHYSICAL_KINDS:
            self.sections[source_section]["counted"] -= m.qty

    def _received(self, m: Move, source, target) -> None:
        """Received: copies that came out of transit (or straight from the printer) to
        a section's places; a reversal taking them back counts them out."""
        (source_kind, source_section), (target_kind, target_section) = source, target
        into_section = target_kind in PHYSICAL_KINDS and target_section is not None
        if m.kind != "reversal" and source_kind in (K.IN_TRANSIT, K.PRINTER) and into_section:
            self.sections[target_section]["received"] += m.qty
        if (
            m.kind == "reversal"
            and source_kind in PHYSICAL_KINDS
            and source_section is not None
            and target_kind in (K.IN_TRANSIT, K.PRINTER)
        ):
            self.sections[source_section]["received"] -= m.qty

    def _signed(self, m: Move, target) -> None:
        """Signed: unsigned copies made signed where they are (and back, if reversed)."""
        if m.from_location_id == m.to_location_id and m.from_condition != m.to_condition:
            sign = 1 if m.to_condition == "signed" else -1
            self.world["signed"] += sign * m.qty
            if target[1] is not None:
                self.sections[target[1]]["signed"] += sign * m.qty

    def _printed(self, m: Move, source, target) -> None:
        if source[0] == K.PRINTER:
            self.world["printed"] += m.qty
        if target[0] == K.PRINTER:
            self.world["printed"] -= m.qty


FIELDS = dashboard.COUNTS


def _check(session: Session, period: Period, today: date, edition: Edition | None = None):
    """The dashboard for every country, and for each section, against the tally."""
    expected, world, weekly = tally(session, period, edition.id if edition else None)
    data = dashboard.build(
        session, period=period, today=today, publisher_currency="GBP", edition=edition
    )
    sections = {s.id: s for s in session.scalars(select(Section))}
    by_country = defaultdict(list)
    for section in sections.values():
        by_country[section.country_code].append(section.id)
    assert {row.key for row in data.rows} == set(by_country)
    for row in data.rows:
        _check_country(row, period, by_country[row.key], expected, weekly)
    for name in FIELDS:
        assert getattr(data.total, name) == sum(e[name] for e in expected.values()), name
    for name in ("printed", "in_warehouse", "in_transit", "with_sections", "sold", "signed"):
        assert getattr(data.world, name) == world[name], name
    _check_adds_up(data)
    _check_ratios(data)
    return data


def _check_country(row, period: Period, section_ids: list[int], expected, weekly) -> None:
    """A country's row, its weekly sales and its sections' rows, against the tally."""
    for name in FIELDS:
        want = sum(expected[s][name] for s in section_ids)
        assert getattr(row.figures, name) == want, (row.name, name)
    for i, week in enumerate(period.weeks):
        assert row.weekly[i] == sum(weekly[(s, week)] for s in section_ids)
    for section_row in row.sections:
        for name in FIELDS:
            want = expected[section_row.section.id][name]
            assert getattr(section_row.figures, name) == want, (section_row.name, name)


def _check_adds_up(data) -> None:
    # Every row adds up: on hand at the start, and what came and went, make on hand.
    for row in [*data.rows, *(r for country in data.rows for r in country.sections)]:
        assert row.figures.on_hand_reckoned == row.figures.on_hand, row.name
    assert data.total.on_hand_reckoned == data.total.on_hand
    # The totals row and the world's figures agree.
    if data.world is not None:
        assert data.world.in_transit == data.total.in_transit
        assert data.world.with_sections == data.total.on_hand


def _check_ratios(data) -> None:
    # Sell-through and weeks of cover are what their figures make.
    for row in data.rows:
        f = row.figures
        if f.received:
            assert f.sell_through == Decimal(f.sold) / Decimal(f.received)
        if f.recent_sold > 0:
            cover = Decimal(f.on_hand) * 4 / Decimal(f.recent_sold)
            assert abs(f.weeks_of_cover - cover) <= Decimal("0.05")
        else:
            assert f.weeks_of_cover is None


def _outstanding_matches_statements(session: Session, data, today: date) -> None:
    rates = rates_on(session, today)
    for row in data.rows:
        for section_row in row.sections:
            section = section_row.section
            owed = statements.section_statement(session, section.id, today).outstanding_minor
            _, _, converted = statements.convert(owed, section.currency, "GBP", rates)
            assert section_row.figures.outstanding_minor == converted, section.name


def test_the_demo_campaign_tallies(demo_session):
    session = demo_session
    first, latest = dashboard.activity_weeks(session)
    assert first is not None and latest is not None
    today = date.today()
    # The default period lies where the campaign did, not in an empty year.
    period = dashboard.default_period(latest, today)
    assert period.first <= latest <= period.last
    data = _check(session, period, today)
    assert data.has_activity and data.total.sold > 0 and data.world.printed > 0
    _outstanding_matches_statements(session, data, today)
    # A past period: positions are those at its end, not today's.
    spring = Period.covering(date(2024, 3, 1), date(2024, 6, 30))
    _check(session, spring, today)
    # One edition.
    edition = session.scalars(select(Edition).order_by(Edition.id)).first()
    _check(session, period, today, edition)


def test_a_generated_ledger_tallies(generated_session):
    session = generated_session
    today = GENERATED_END + timedelta(days=1)
    data = _check(session, Period.weeks_to(today), today)
    assert data.total.sold > 1000 and len(data.rows) == 4
    assert data.total.signed > 0 and data.total.written_off > 0 and data.total.in_transit > 0
    _outstanding_matches_statements(session, data, today)
    # A short period: its last four weeks reach back before it.
    _check(session, Period.covering(date(2026, 5, 11), date(2026, 5, 24)), today)
    # Every edition apart.
    for edition in session.scalars(select(Edition)):
        _check(session, Period.covering(date(2026, 1, 1), date(2026, 8, 31)), today, edition)


def test_a_period_with_nothing_in_it(generated_session):
    session = generated_session
    data = dashboard.build(
        session,
        period=Period.covering(date(2019, 1, 1), date(2019, 3, 31)),
        today=GENERATED_END,
        publisher_currency="GBP",
    )
    assert not data.has_activity
    assert data.latest_period is not None and data.latest_period.last >= GENERATED_END
    assert all(row.figures.sold == 0 and row.figures.on_hand == 0 for row in data.rows)


def test_alerts(generated_session):
    session = generated_session
    today = GENERATED_END + timedelta(days=1)
    period = Period.weeks_to(today)
    # Thresholds of 0: no section is below them.
    alerts.set_thresholds(session, None, alerts.Thresholds(weeks_of_cover=0, copies=0), {})
    data = dashboard.build(session, period=period, today=today, publisher_currency="GBP")
    assert not {a.kind for a in data.alerts} & {"low_cover", "low_stock"}
    kinds = {a.kind for a in data.alerts}
    # The generated year has a launch a week away with nothing sent to it yet.
    assert "event_without_stock" in kinds
    launch = next(a for a in data.alerts if a.kind == "event_without_stock")
    assert "starts in 6 days" in launch.message
    # Thresholds: one section's own, the others the default.
    rows = [s for row in data.rows for s in row.sections]
    low = min(rows, key=lambda r: r.figures.on_hand)
    high = max(rows, key=lambda r: r.figures.on_hand)
    alerts.set_thresholds(
        session,
        None,
        alerts.Thresholds(weeks_of_cover=None, copies=low.figures.on_hand + 1),
        {high.section.id: alerts.Thresholds(copies=high.figures.on_hand + 1)},
    )
    data = dashboard.build(session, period=period, today=today, publisher_currency="GBP")
    flagged = {a.section.id for a in data.alerts if a.kind == "low_stock"}
    assert low.section.id in flagged and high.section.id in flagged
    # An overdue shipment: its expected day has passed and it is still in transit.
    later = today + timedelta(days=30)
    data = dashboard.build(session, period=period, today=later, publisher_currency="GBP")
    assert any(a.kind == "overdue_shipment" and "overdue" in a.message for a in data.alerts)


def test_thresholds_are_checked(session, world):
    from tracker.domain.errors import DomainError

    with pytest.raises(DomainError, match="between 0 and 104"):
        alerts.set_thresholds(session, None, alerts.Thresholds(weeks_of_cover=-1), {})
    with pytest.raises(DomainError, match="no section 999999"):
        alerts.set_thresholds(session, None, alerts.Thresholds(), {999999: alerts.Thresholds()})
    alerts.set_thresholds(session, None, alerts.Thresholds(weeks_of_cover=6, copies=30), {})
    assert default_thresholds(session) == alerts.Thresholds(6, 30)


def test_every_way_copies_come_and_go_adds_up(session, world):
    """A section that receives with losses, sells, writes off, sends copies back (still
    on their way at the end), passes copies to another section and counts short: each
    figure matches the tally, every row adds up from on hand at the start, and the
    totals row agrees with the world's figures."""
    from tracker.services import movements, shipments
    from tracker.services.receipts import ReceiptInput
    from tracker.services.shipments import LineInput

    gb = session.scalar(select(Section).where(Section.name == "Britain"))
    se = session.scalar(select(Section).where(Section.name == "Sweden"))
    days = [date(2026, 9, 7) + timedelta(weeks=i) for i in range(6)]
    movements.record_print_run(
        session, None, edition_id=world.edition.id, qty=300, when=days[0], reference="PR-1"
    )
    outbound = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb.id,
        terms="sale_or_return",
        lines=[LineInput(world.edition.id, 100, "12.50")],
    )
    shipments.dispatch(session, None, outbound.id, when=days[0])
    line = outbound.lines[0].id
    receipts_service.receive(
        session,
        None,
        outbound.id,
        [ReceiptInput(line, 95, 3, 2, "damaged_in_transit")],
        when=days[1],
    )
    store = world.loc("GB-STORE").id
    sales_service.sell(
        session,
        None,
        location_id=store,
        items=[sales_service.SaleItem(world.edition.id, 10)],
        payment_method="cash",
        when=days[2],
    )
    movements.write_off(
        session,
        None,
        location_id=store,
        reason="gift",
        lines=[movements.Copies(world.edition.id, 1)],
        when=days[2],
    )
    back = shipments.create(
        session,
        None,
        direction="return",
        section_id=gb.id,
        lines=[LineInput(world.edition.id, 20, "12.50")],
    )
    shipments.dispatch(session, None, back.id, when=days[3])
    movements.transfer(
        session,
        None,
        from_location_id=store,
        to_location_id=world.loc("SE-STORE").id,
        lines=[movements.Copies(world.edition.id, 5)],
        when=days[3],
    )
    movements.stocktake(
        session,
        None,
        location_id=store,
        counts=[movements.Copies(world.edition.id, 57)],
        reason="miscounted at the launch",
        when=days[4],
    )
    session.flush()

    today = days[5]
    whole = _check(session, Period.covering(days[0], days[5]), today)
    row = next(r for r in whole.rows if r.key == "GB").sections[0].figures
    assert (row.received, row.lost_in_transit, row.sold, row.written_off) == (95, 5, 10, 1)
    assert (row.sent_back, row.transferred, row.counted, row.on_hand) == (20, -5, -2, 57)
    assert row.in_transit == 20  # on its way back, still Britain's to account for
    assert whole.total.in_transit == whole.world.in_transit == 20
    sweden = next(r for r in whole.rows if r.key == "SE").figures
    assert (sweden.transferred, sweden.on_hand) == (5, 5)
    # A period that begins after the receipt: what was on hand then is its start.
    later = _check(session, Period.covering(days[2], days[5]), today)
    gb_later = next(r for r in later.rows if r.key == "GB").figures
    assert (gb_later.on_hand_at_start, gb_later.received) == (95, 0)
    # The same on the section's own dashboard.
    scoped = dashboard.build(
        session,
        period=Period.covering(days[0], days[5]),
        today=today,
        publisher_currency="GBP",
        section=gb,
        scoped=True,
    )
    assert scoped.total.on_hand_reckoned == scoped.total.on_hand == 57
    assert scoped.total.in_transit == 20
    assert se.name == "Sweden"
