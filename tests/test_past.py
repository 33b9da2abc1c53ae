"""The past adds up: documents dated when they happened, replayed in that order, never
leave a place with fewer than zero copies; closed months and the backdating limit are
kept; the ledger check names the first place and moment where the past fails."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from tests.factories import STOCKED_AT, World, snapshot
from tracker import ledger
from tracker.db import table_of, utcnow
from tracker.domain.accounts import Role
from tracker.domain.errors import (
    DomainError,
    InsufficientStock,
    InvalidMove,
    NotThereThen,
    PeriodClosed,
)
from tracker.ledger import MoveLine, PastProblem
from tracker.models import AuditEntry, Balance, Document, Move, Sale, Stocktake
from tracker.services import closing, movements, receipts, shipments
from tracker.services import events as event_service
from tracker.services import sales as sales_service
from tracker.services.receipts import ReceiptInput
from tracker.services.shipments import LineInput
from tracker.services.stock import post_document


def at(day: int, month: int = 2, hour: int = 10, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def bring(world: World, qty: int, when: datetime, to: str = "GB-EV") -> None:
    movements.transfer(
        world.session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=world.loc(to).id,
        lines=[movements.Copies(world.edition.id, qty)],
        when=when,
    )


def sell(world: World, qty: int, when: datetime | date | None, place: str = "GB-EV") -> Sale:
    return sales_service.sell(
        world.session,
        None,
        location_id=world.loc(place).id,
        items=[sales_service.SaleItem(world.edition.id, qty, unit_price="20")],
        payment_method="cash",
        when=when,
    )


@pytest.fixture
def table(world: World):
    """Britain's store stocked long ago; 12 copies on the event table on 1 Feb 2024 and
    30 more on 5 Feb."""
    world.stocked(200)
    bring(world, 12, at(1))
    bring(world, 30, at(5))
    return world


def test_a_sale_before_the_copies_reached_the_table_is_refused(session, table: World):
    before = snapshot(session)
    with pytest.raises(NotThereThen) as refused:
        sell(table, 20, at(3, hour=19))
    assert str(refused.value).startswith(
        "Only 12 unsigned copies of In Defence of Lenin (English paperback), ISBN "
        "9781913026868 were at London launch (GB-EV) on 03 Feb 2024; 30 arrived there on "
        "05 Feb 2024."
    )
    assert refused.value.status_code == 409
    assert snapshot(session) == before
    # Dated once they were there, the same sale is taken, and dated then.
    sale = sell(table, 20, at(5, hour=19))
    assert sale.sold_at == at(5, hour=19)
    moves = session.scalars(select(Move).where(Move.document_id == sale.id)).all()
    assert [m.occurred_at for m in moves] == [at(5, hour=19)]
    assert sale.document.occurred_at == at(5, hour=19)
    assert sale.document.created_at > datetime.now(UTC) - timedelta(minutes=5)
    assert ledger.check(session) == []


def test_a_sale_that_would_leave_a_later_moment_short_is_refused(session, table: World):
    sell(table, 10, at(4, hour=12))  # 12 - 10: 2 left until the 30 arrive
    before = snapshot(session)
    with pytest.raises(NotThereThen) as refused:
        sell(table, 5, at(2, hour=12))  # there were 12 on the 2nd, but then 10 went
    assert str(refused.value).startswith(
        "Only 2 unsigned copies of In Defence of Lenin (English paperback), ISBN "
        "9781913026868 were at London launch (GB-EV) on 04 Feb 2024; 30 arrived there on "
        "05 Feb 2024."
    )
    assert snapshot(session) == before
    sell(table, 2, at(2, hour=12))
    assert ledger.check(session) == []


def test_a_day_only_date_is_the_end_of_that_day(session, table: World):
    """Typed by its day, a tally sale comes after whatever else happened that day (the
    copies brought at 10:00 the same day)."""
    sale = sell(table, 40, date(2024, 2, 5))
    assert sale.sold_at == datetime(2024, 2, 5, 23, 59, 59, tzinfo=UTC)


def test_future_dates_are_refused(session, table: World):
    before = snapshot(session)
    with pytest.raises(DomainError, match="is in the future"):
        sell(table, 1, utcnow() + timedelta(hours=2))
    with pytest.raises(DomainError, match="is in the future"):
        sell(table, 1, utcnow().date() + timedelta(days=1))
    assert snapshot(session) == before


def test_a_receipt_before_its_dispatch_is_refused(session, world: World):
    world.printed(100)
    gb = world.loc("GB-STORE").section_id
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        terms="sale_or_return",
        lines=[LineInput(world.edition.id, 40, "10.00")],
    )
    shipments.dispatch(session, None, shipment.id, when=at(10))
    before = snapshot(session)
    with pytest.raises(DomainError, match="it cannot have been received before that"):
        receipts.receive(
            session, None, shipment.id, [ReceiptInput(shipment.lines[0].id, 40)], when=at(8)
        )
    assert snapshot(session) == before
    # Even the moves alone: copies cannot leave transit before they entered it.
    with pytest.raises(
        NotThereThen,
        match=r"were at In transit to Britain \(GB-TRANSIT\) on 09 Feb 2024; 40 arrived",
    ):
        world.post("receipt", 40, "GB-TRANSIT", "GB-STORE", at=at(9))
    receipts.receive(
        session, None, shipment.id, [ReceiptInput(shipment.lines[0].id, 40)], when=at(12)
    )
    assert ledger.check(session) == []


def test_a_return_before_the_shipment_that_brought_the_copies_is_refused(session, world):
    world.printed(100)
    gb = world.loc("GB-STORE").section_id
    outbound = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        terms="sale_or_return",
        lines=[LineInput(world.edition.id, 40, "10.00")],
    )
    shipments.dispatch(session, None, outbound.id, when=at(1))
    receipts.receive(
        session, None, outbound.id, [ReceiptInput(outbound.lines[0].id, 40)], when=at(6)
    )
    back = shipments.create(
        session, None, direction="return", section_id=gb, lines=[LineInput(world.edition.id, 10)]
    )
    before = snapshot(session)
    with pytest.raises(NotThereThen, match="on 04 Feb 2024; 40 arrived there on 06 Feb 2024"):
        shipments.dispatch(session, None, back.id, when=at(4))
    assert snapshot(session) == before
    session.expire_all()
    shipments.dispatch(session, None, back.id, when=at(7))
    assert ledger.check(session) == []


def test_a_void_is_dated_after_its_sale(session, table: World):
    sale = sell(table, 2, at(6))
    with pytest.raises(DomainError, match="it cannot have been voided before that"):
        sales_service.void_sale(session, None, sale.id, "wrong edition", when=at(5))
    sales_service.void_sale(session, None, sale.id, "wrong edition", when=at(7))
    reversal = session.scalar(select(Move).where(Move.reverses_id.is_not(None)))
    assert reversal.occurred_at == at(7)
    assert sale.voided_at == at(7)
    assert ledger.check(session) == []


def test_an_event_cannot_close_before_its_last_sale(session, world: World):
    world.stocked(100)
    gb = world.loc("GB-STORE").section_id
    event = event_service.create_event(
        session,
        None,
        gb,
        event_service.EventDetails(
            name="Manchester school", kind="school", starts_on=date(2024, 2, 3)
        ),
    )
    movements.transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=event.location_id,
        lines=[movements.Copies(world.edition.id, 30)],
        when=at(3, hour=9),
    )
    sales_service.sell(
        session,
        None,
        location_id=event.location_id,
        items=[sales_service.SaleItem(world.edition.id, 4, unit_price="20")],
        payment_method="card",
        when=at(3, hour=20),
    )
    with pytest.raises(DomainError, match="it cannot have closed before that"):
        event_service.close_event(session, None, event.id, when=at(3, hour=18))
    event_service.close_event(session, None, event.id, when=at(3, hour=22))
    leftovers = session.scalars(
        select(Move).where(Move.from_location_id == event.location_id, Move.kind == "transfer")
    ).one()
    assert (leftovers.qty, leftovers.occurred_at) == (26, at(3, hour=22))
    assert ledger.check(session) == []


def test_a_stocktake_counted_earlier_compares_with_what_was_there_then(session, table: World):
    sell(table, 5, at(20))  # 42 on the table before, 37 after
    count = movements.stocktake(
        session,
        None,
        location_id=table.loc("GB-EV").id,
        counts=[movements.Copies(table.edition.id, 40)],
        reason="two copies missing",
        when=at(10),
    )
    assert isinstance(count, Stocktake)
    assert [(line.expected, line.counted) for line in count.lines] == [(42, 40)]
    assert table.stock("GB-EV") == 35
    loss = session.scalar(select(Move).where(Move.kind == "stocktake_loss"))
    assert (loss.qty, loss.occurred_at) == (2, at(10))
    assert ledger.check(session) == []


# -- limits an admin sets ---------------------------------------------------------------------


def test_a_closed_month_takes_nothing_until_it_is_reopened(session, table: World, make_user):
    admin = make_user(Role.ADMIN)
    gb = table.loc("GB-STORE").section_id
    closing.close_month(session, admin, gb, date(2024, 2, 14))
    before = snapshot(session)
    with pytest.raises(PeriodClosed, match="The books of Britain for February 2024 are closed"):
        sell(table, 1, at(20))
    with pytest.raises(PeriodClosed):
        bring(table, 1, at(20))
    assert snapshot(session) == before
    sell(table, 1, at(2, month=3))  # March is open
    # Sweden's February is not Britain's.
    table.stocked(10, store="SE-STORE")
    with pytest.raises(DomainError, match="already closed"):
        closing.close_month(session, admin, gb, date(2024, 2, 1))
    with pytest.raises(DomainError, match="not over yet"):
        closing.close_month(session, admin, gb, utcnow().date())
    treasurer = make_user(Role.TREASURER, "GB")
    with pytest.raises(DomainError, match="Only an admin"):
        closing.reopen_month(session, treasurer, gb, date(2024, 2, 1))
    closing.reopen_month(session, admin, gb, date(2024, 2, 1))
    sell(table, 1, at(20))
    trail = session.scalars(
        select(AuditEntry.kind)
        .where(AuditEntry.object_type == "closedmonth")
        .order_by(AuditEntry.id)
    ).all()
    assert trail == ["closedmonth.created", "closedmonth.deleted"]
    assert ledger.check(session) == []


def test_documents_older_than_the_limit_are_refused(session, table: World, make_user):
    admin = make_user(Role.ADMIN)
    closing.set_backdate_days(session, admin, 400)
    today = utcnow().date()
    before = snapshot(session)
    with pytest.raises(DomainError, match="is too far back: documents may be dated up to 400"):
        sell(table, 1, today - timedelta(days=401), place="GB-STORE")
    assert snapshot(session) == before
    sell(table, 1, today - timedelta(days=399), place="GB-STORE")
    for wrong in (0, -1, 10_001, "12", True):
        with pytest.raises(DomainError, match="whole number of days"):
            closing.set_backdate_days(session, admin, wrong)
    closing.set_backdate_days(session, admin, None)
    sell(table, 1, today - timedelta(days=2000), place="GB-STORE")


# -- the check names the first moment the past fails ------------------------------------------


def test_the_ledger_check_names_the_first_place_and_moment(session, table: World):
    """A move written around the ledger (as a faulty import would), dated before the
    copies came: the balances still agree, the past does not."""
    store = table.loc("GB-STORE")
    customers = table.loc("GB-CUSTOMERS")
    document = Document(kind="import", occurred_at=at(1, month=1, year=2019))
    session.add(document)
    session.flush()
    session.execute(
        insert(table_of(Move)),
        [
            {
                "document_id": document.id,
                "edition_id": table.edition.id,
                "qty": 3,
                "from_location_id": store.id,
                "from_condition": "unsigned",
                "to_location_id": customers.id,
                "to_condition": "unsigned",
                "kind": "sale",
                "occurred_at": at(1, month=1, year=2019),
                "created_at": utcnow(),
            }
        ],
    )
    for location, delta in ((store.id, -3), (customers.id, 3)):
        session.execute(
            update(Balance)
            .where(Balance.location_id == location, Balance.edition_id == table.edition.id)
            .values(qty=Balance.qty + delta)
        )
    session.execute(
        update(Balance)
        .where(Balance.location_id == customers.id)
        .values(last_moved_at=at(1, month=1, year=2019))
    )
    # (The weekly roll-up, not written around, disagrees too: listed before.)
    problems = [p for p in ledger.check(session) if isinstance(p, PastProblem)]
    assert len(problems) == 1
    assert str(problems[0]) == (
        "Replayed in the order things happened, Britain store (GB-STORE), "
        "In Defence of Lenin (English paperback), ISBN 9781913026868, unsigned, held -3 "
        "copies on 01 Jan 2019 10:00:00: the first moment the past does not add up."
    )


def test_the_ledger_check_finds_a_balance_whose_latest_move_is_wrong(session, table: World):
    session.execute(update(Balance).values(last_moved_at=at(1, year=2030)))
    problems = ledger.check(session)
    assert problems and all(isinstance(p, PastProblem) for p in problems)
    assert "last moved on" in str(problems[0])


def test_a_reversal_is_never_dated_before_what_it_reverses(session, table: World):
    sale = sell(table, 1, at(6))
    moves = session.scalars(select(Move.id).where(Move.document_id == sale.id)).all()
    with pytest.raises(InvalidMove, match="cannot be dated before what it corrects"):
        ledger.reverse(session, list(moves), Document(kind="reversal"), occurred_at=at(5))


# -- the invariant, for any documents dated anywhere in the past ------------------------------

ROUTES = [
    ("dispatch", "WH", "GB-TRANSIT", "unsigned", None),
    ("receipt", "GB-TRANSIT", "GB-STORE", "unsigned", None),
    ("transfer", "GB-STORE", "GB-EV", "unsigned", None),
    ("transfer", "GB-EV", "GB-STORE", "unsigned", None),
    ("signing", "GB-EV", "GB-EV", "unsigned", "signed"),
    ("sale", "GB-EV", "GB-CUSTOMERS", "unsigned", None),
    ("sale", "GB-EV", "GB-CUSTOMERS", "signed", None),
    ("sale", "GB-STORE", "GB-CUSTOMERS", "unsigned", None),
    ("write_off", "GB-STORE", "GB-WRITTEN-OFF", "unsigned", None),
    ("customer_return", "GB-CUSTOMERS", "GB-STORE", "unsigned", None),
]
postings = st.lists(
    st.tuples(
        st.lists(
            # Copies coming in more often than going out, so that many postings are taken.
            st.tuples(
                st.sampled_from([0, 0, 0, 1, 1, 1, 2, 2, *range(3, len(ROUTES))]),
                st.integers(1, 30),
            ),
            min_size=1,
            max_size=2,
        ),
        st.integers(0, 59),  # the day, from 1 Jan 2024
        st.sampled_from([9, 12, 19]),
    ),
    max_size=25,
)


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=postings)
def test_random_dated_documents_keep_the_past_whole(world: World, session, steps):
    """Documents of random moves at random past moments, in random order: the ledger
    takes exactly those that keep every place's balance, replayed by date, at zero or
    more at every moment (as an independent replay of the accepted moves says), refuses
    the others writing nothing, and its check finds nothing."""
    savepoint = session.begin_nested()
    try:
        world.printed(150)
        ids = {code: world.loc(code).id for code in {r[1] for r in ROUTES} | {r[2] for r in ROUTES}}
        # moment, balance, change: the print run first.
        accepted = [(STOCKED_AT, (ids["WH"], "unsigned"), 150)]
        for lines, day, hour in steps:
            when = datetime(2024, 1, 1, hour, tzinfo=UTC) + timedelta(days=day)
            deltas: dict[tuple[int, str], int] = defaultdict(int)
            moves = []
            for route, qty in lines:
                kind, src, dst, condition, to_condition = ROUTES[route]
                moves.append(
                    MoveLine(
                        kind, world.edition.id, qty, ids[src], ids[dst], condition, to_condition
                    )
                )
                deltas[(ids[src], condition)] -= qty
                deltas[(ids[dst], to_condition or condition)] += qty
            expected = _replay_ok(accepted + [(when, k, d) for k, d in deltas.items() if d])
            before = snapshot(session)
            try:
                post_document(session, "test", moves, occurred_at=when)
            except (NotThereThen, InsufficientStock):
                event("refused")
                assert not expected, (when, moves)
                assert snapshot(session) == before
                continue
            event("accepted")
            assert expected, (when, moves)
            accepted += [(when, k, d) for k, d in deltas.items() if d]
        assert ledger.check(session) == []
        for (location, condition), qty in _totals(accepted).items():
            assert ledger.balance(session, location, world.edition.id, condition) == qty
    finally:
        savepoint.rollback()


def _replay_ok(changes: list[tuple[datetime, tuple[int, str], int]]) -> bool:
    """Replayed by moment (all of a moment's changes together), no balance goes below
    zero (no source is touched here: the print run is given)."""
    held: dict[tuple[int, str], int] = defaultdict(int)
    by_moment: dict[datetime, list] = defaultdict(list)
    for moment, key, delta in changes:
        by_moment[moment].append((key, delta))
    for moment in sorted(by_moment):
        for key, delta in by_moment[moment]:
            held[key] += delta
        if any(qty < 0 for qty in held.values()):
            return False
    return True


def _totals(changes) -> dict[tuple[int, str], int]:
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for _moment, key, delta in changes:
        totals[key] += delta
    return totals


# -- reports follow the dates of the documents ------------------------------------------------


def test_a_campaign_typed_in_afterwards_shows_in_its_own_weeks(session, world: World):
    """The 2024 launch typed in today, dated as it happened: the dashboard for January to
    March 2024 counts its sales and signings in their weeks, as a tally of the moves by
    their dates does; a period that begins after it shows none of them."""
    from tests.test_dashboard import _check
    from tracker.domain.periods import Period
    from tracker.queries import dashboard
    from tracker.services import signings

    gb = world.loc("GB-STORE").section_id
    movements.record_print_run(
        session, None, edition_id=world.edition.id, qty=500, when=at(8, month=1), reference="R1"
    )
    outbound = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        terms="firm_sale",
        lines=[LineInput(world.edition.id, 300, "10.00")],
    )
    shipments.dispatch(session, None, outbound.id, when=date(2024, 1, 10))
    receipts.receive(
        session, None, outbound.id, [ReceiptInput(outbound.lines[0].id, 300)], when=at(15, 1)
    )
    launch = event_service.create_event(
        session,
        None,
        gb,
        event_service.EventDetails(
            name="London launch", kind="launch", starts_on=date(2024, 1, 21)
        ),
    )
    movements.transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=launch.location_id,
        lines=[movements.Copies(world.edition.id, 150)],
        when=at(21, 1, hour=16),
    )
    signings.sign(
        session,
        None,
        event_id=launch.id,
        edition_id=world.edition.id,
        qty=60,
        author_ids=[a.id for a in world.edition.title.authors],
        when=at(21, 1, hour=18),
    )
    sold = 0
    for i in range(41):
        condition = "signed" if i % 2 else "unsigned"
        sales_service.sell(
            session,
            None,
            location_id=launch.location_id,
            items=[sales_service.SaleItem(world.edition.id, 1 + i % 3, condition, "20")],
            payment_method="cash",
            when=at(21, 1, hour=18) + timedelta(minutes=5 + i * 3),
        )
        sold += 1 + i % 3
    event_service.close_event(session, None, launch.id, when=at(21, 1, hour=23))
    sell(world, 7, date(2024, 2, 17), place="GB-STORE")
    session.flush()

    today = date(2024, 3, 31)
    period = Period.covering(date(2024, 1, 1), today)
    data = _check(session, period, today)
    assert (data.total.sold, data.total.signed) == (sold + 7, 60)
    britain = next(row for row in data.rows if row.key == "GB")
    launch_week = period.weeks.index(date(2024, 1, 15))
    assert britain.weekly[launch_week] == sold
    # After it, none of it.
    later = dashboard.build(
        session,
        period=Period.covering(date(2024, 3, 4), today),
        today=today,
        publisher_currency="GBP",
    )
    assert (later.total.sold, later.total.signed) == (0, 0)
    assert ledger.check(session) == []
