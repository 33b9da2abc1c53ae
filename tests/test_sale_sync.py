"""Sales as a phone sends them, through the services: baskets of several lines, the
cash handed over and its change, keys sent again (with the same content or another),
batches where some sales are refused, the undo's five minutes, and the cash counted
when an event closes."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from tests.factories import STOCKED_AT, World, snapshot
from tracker.db import utcnow
from tracker.domain.errors import DomainError, InsufficientStock, NotFound, NotThereThen
from tracker.domain.events import UNDO_MINUTES
from tracker.models import Document, Event, Sale
from tracker.queries import events as event_queries
from tracker.services import documents, events, sales
from tracker.services.movements import Copies, transfer
from tracker.services.sales import SaleItem, SentSale

# When the copies reached the table: before anything the tests date.
ARRIVED = utcnow() - timedelta(days=1)


@pytest.fixture
def launch(world: World, session) -> Event:
    """Britain's launch, with 10 English copies (£25) and 5 Spanish ones (no price in
    pounds) brought to its table a day ago."""
    world.stocked(100)
    for kind, src, dst in (
        ("print_run", "PRINTER", "WH"),
        ("dispatch", "WH", "GB-TRANSIT"),
        ("receipt", "GB-TRANSIT", "GB-STORE"),
    ):
        world.post(kind, 20, src, dst, at=STOCKED_AT, edition=world.edition_es)
    event = world.launch({world.edition: 10, world.edition_es: 5}, at=ARRIVED)
    return event


def _sent(world: World, qty: int = 1, *, key: str | None = None, **changes) -> SentSale:
    """A sale as the phone sends it: its content is what the JSON would hold."""
    content = {
        "key": key or str(uuid.uuid4()),
        "payment": "cash",
        "lines": [{"edition": world.edition.id, "condition": "unsigned", "qty": qty}],
        **changes,
    }
    return SentSale(
        key=content["key"],
        content=content,
        items=[
            SaleItem(line["edition"], line["qty"], line["condition"], line.get("price"))
            for line in content["lines"]
        ],
        payment_method=content["payment"],
        made_at=content.get("made_at"),
        tendered=content.get("tendered"),
    )


def _sales(session) -> int:
    return session.scalar(select(func.count()).select_from(Sale))


def test_a_basket_of_three_lines_is_one_sale_one_payment(launch: Event, world: World, session):
    sale = sales.sell(
        session,
        None,
        location_id=launch.location_id,
        items=[
            SaleItem(world.edition.id, 2),
            SaleItem(world.edition.id, 1, unit_price="15.00"),
            SaleItem(world.edition_es.id, 1, unit_price="20"),
        ],
        payment_method="card",
    )
    assert [(line.qty, line.unit_price_minor) for line in sale.lines] == [
        (2, 2500),
        (1, 1500),
        (1, 2000),
    ]
    assert sale.copies == 4 and sale.total_minor == 8500 and sale.payment_method == "card"
    assert world.stock(launch.location.code) == 7
    assert world.stock(launch.location.code, edition=world.edition_es) == 4
    tally = event_queries.tally(session, launch.location_id)
    assert tally["sales"] == 1 and tally["copies"] == 4 and tally["takings"]["card"] == 8500


def test_the_cash_handed_over_and_the_change(launch: Event, world: World, session):
    sale = sales.sell(
        session,
        None,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 2)],
        payment_method="cash",
        tendered="60",
    )
    assert sale.tendered_minor == 6000 and sale.change_minor == 1000
    exact = sales.sell(
        session,
        None,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1)],
        payment_method="cash",
        tendered="25.00",
    )
    assert exact.change_minor == 0
    untold = sales.sell(
        session,
        None,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1)],
        payment_method="cash",
    )
    assert untold.tendered_minor is None and untold.change_minor is None


@pytest.mark.parametrize(
    ("tendered", "method", "message"),
    [
        ("20", "cash", "£20.00 handed over is less than the £25.00 to pay."),
        ("-5", "cash", "-£5.00 handed over is less than the £25.00 to pay."),
        ("abc", "cash", "'abc' is not an amount of money"),
        ("20.001", "cash", "has more decimals than GBP allows"),
        ("30", "card", "Cash handed over goes with a cash sale, not with one paid by card."),
    ],
)
def test_cash_handed_over_that_cannot_be(
    launch: Event, world: World, session, tendered, method, message
):
    before = snapshot(session)
    with pytest.raises(DomainError, match=message) as refused:
        sales.sell(
            session,
            None,
            location_id=launch.location_id,
            items=[SaleItem(world.edition.id, 1)],
            payment_method=method,
            tendered=tendered,
        )
    assert refused.value.field == "tendered"
    assert snapshot(session) == before and _sales(session) == 0


def test_a_batch_recorded_then_sent_again_lands_on_the_first_sales(
    launch: Event, world: World, session
):
    batch = [_sent(world) for _ in range(5)]
    place, results = sales.sell_sent(session, None, launch.location_id, batch)
    assert place.id == launch.location_id
    assert [r.recorded for r in results] == [True] * 5
    first = [r.sale.id for r in results]
    assert _sales(session) == 5 and world.stock(launch.location.code) == 5

    before = snapshot(session)
    _place, again = sales.sell_sent(session, None, launch.location_id, batch)
    assert [(r.recorded, r.error) for r in again] == [(False, None)] * 5
    assert [r.sale.id for r in again] == first
    assert _sales(session) == 5 and snapshot(session) == before
    # The key is kept as the tracker keeps keys, with the digest of what was sent.
    document = session.get(Document, first[0])
    assert document.submission_key == uuid.UUID(batch[0].key).hex
    assert len(document.submission_digest) == 64


def test_a_key_sent_again_with_another_sale_is_refused(launch: Event, world: World, session):
    key = str(uuid.uuid4())
    sales.sell_sent(session, None, launch.location_id, [_sent(world, 1, key=key)])
    before = snapshot(session)
    _place, (result,) = sales.sell_sent(
        session, None, launch.location_id, [_sent(world, 2, key=key)]
    )
    assert isinstance(result.error, documents.KeyReused) and result.sale is None
    assert result.error.status_code == 409
    assert result.error.message == "This key was already used for a different sale."
    assert snapshot(session) == before and _sales(session) == 1


def test_the_same_sale_sent_to_another_place_is_another_sale(launch: Event, world: World, session):
    """The place is part of what was asked: the same key and body sent to the store is
    not taken for the sale at the table."""
    sent = _sent(world)
    sales.sell_sent(session, None, launch.location_id, [sent])
    _place, (result,) = sales.sell_sent(session, None, world.loc("GB-STORE").id, [sent])
    assert isinstance(result.error, documents.KeyReused)


def test_keys_are_uuids_written_either_way(launch: Event, world: World, session):
    key = uuid.uuid4()
    _place, results = sales.sell_sent(
        session,
        None,
        launch.location_id,
        [
            _sent(world, key=str(key).upper()),
            _sent(world, key=key.hex),  # the same key without dashes: the same sale
            _sent(world, key="not-a-key"),
            SentSale(key=None, content={}, items=[], payment_method="cash"),
        ],
    )
    assert results[0].recorded
    assert isinstance(results[1].error, documents.KeyReused)  # its content differs
    for refused in results[2:]:
        assert refused.error.field == "key" and "is not a key: send a UUID" in refused.error.message
    assert _sales(session) == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"made_at": utcnow() + timedelta(hours=1)}, "made_at", "is in the future"),
        ({"made_at": datetime(1890, 1, 1, tzinfo=UTC)}, "made_at", "is too long ago"),
        ({"payment": "cheque"}, "payment", "Choose how the reader paid"),
        ({"lines": []}, "lines", "Choose what was sold."),
        ({"lines": [{"edition": 999_999, "condition": "unsigned", "qty": 1}]}, "lines[0].edition",
         "There is no edition 999999."),
        ({"lines": [{"edition": "ED", "condition": "unsigned", "qty": 0}]}, "lines[0].qty",
         "the quantity must be at least 1, not 0."),
        ({"lines": [{"edition": "ED", "condition": "unsigned", "qty": 1},
                    {"edition": "ED", "condition": "unsigned", "qty": 1, "price": "abc"}]},
         "lines[1].price", "'abc' is not an amount of money"),
        ({"lines": [{"edition": "ED", "condition": "mint", "qty": 1}]}, "lines[0].condition",
         "'mint' is not a condition"),
        ({"lines": [{"edition": "ES", "condition": "unsigned", "qty": 1}]}, "lines[0].price",
         "has no price in GBP yet"),
    ],
)  # fmt: skip
def test_sales_sent_that_cannot_be_name_what_is_wrong(
    launch: Event, world: World, session, changes, field, message
):
    editions = {"ED": world.edition.id, "ES": world.edition_es.id}
    changes = copy.deepcopy(changes)  # the parameters serve both engines
    for line in changes.get("lines", []):
        line["edition"] = editions.get(line["edition"], line["edition"])
    before = snapshot(session)
    _place, (result,) = sales.sell_sent(
        session, None, launch.location_id, [_sent(world, **changes)]
    )
    assert result.sale is None and result.error.field == field
    assert message in result.error.message, result.error.message
    assert snapshot(session) == before and _sales(session) == 0


def test_the_last_copies_go_to_the_sales_made_first(launch: Event, world: World, session):
    """Eight of the ten copies sold; three phones each sold one of the two left. The
    sales are recorded in the order they were made, whatever order they came in: the
    last one made is refused, with the copies there, and writes nothing."""
    sales.sell(
        session,
        None,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 8)],
        payment_method="cash",
    )
    now = utcnow()
    made = [now - timedelta(minutes=m) for m in (1, 30, 20)]
    _place, results = sales.sell_sent(
        session, None, launch.location_id, [_sent(world, made_at=m) for m in made]
    )
    assert [r.recorded for r in results] == [False, True, True]
    refused = results[0].error
    assert isinstance(refused, InsufficientStock) and refused.status_code == 409
    assert "Not enough stock at London launch" in refused.message
    assert "0 copies there, 1 asked" in refused.message
    assert world.stock(launch.location.code) == 0 and _sales(session) == 3


def test_a_sale_made_before_the_copies_came_is_refused(launch: Event, world: World, session):
    before = snapshot(session)
    _place, (result,) = sales.sell_sent(
        session,
        None,
        launch.location_id,
        [_sent(world, made_at=ARRIVED - timedelta(hours=2))],
    )
    assert isinstance(result.error, NotThereThen)
    assert "Only 0 unsigned copies of" in result.error.message
    assert snapshot(session) == before


def test_a_sale_sent_again_after_the_event_closed_lands_on_the_first(
    launch: Event, world: World, session
):
    sent = _sent(world)
    _place, (first,) = sales.sell_sent(session, None, launch.location_id, [sent])
    events.close_event(session, None, launch.id)
    _place, (again, late) = sales.sell_sent(session, None, launch.location_id, [sent, _sent(world)])
    assert again.sale.id == first.sale.id and not again.recorded
    assert isinstance(late.error, sales.EventClosed) and late.error.status_code == 409


def test_another_sections_place_is_not_found(launch: Event, world: World, session, make_user):
    from tracker.domain.accounts import Role

    swede = make_user(Role.TREASURER, "SE")
    with pytest.raises(NotFound):
        sales.sell_sent(session, swede, launch.location_id, [_sent(world)])
    with pytest.raises(NotFound):
        sales.sell_sent(session, None, world.loc("WH").id, [_sent(world)])
    assert _sales(session) == 0


def _record(session, launch: Event, world: World) -> Sale:
    return sales.sell(
        session,
        None,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 2)],
        payment_method="cash",
    )


def test_undo_only_within_five_minutes_of_recording(launch: Event, world: World, session):
    sale = _record(session, launch, world)
    undone = sales.undo_sale(session, None, launch.location_id, sale.id)
    assert undone.voided_at is not None

    sale = _record(session, launch, world)
    session.execute(
        update(Document)
        .where(Document.id == sale.id)
        .values(created_at=utcnow() - timedelta(minutes=UNDO_MINUTES, seconds=1))
    )
    session.expire_all()
    before = snapshot(session)
    with pytest.raises(DomainError, match="more than 5 minutes ago.*Void it instead"):
        sales.undo_sale(session, None, launch.location_id, sale.id)
    assert snapshot(session) == before
    # A void, with its reason, still undoes it.
    assert sales.void_sale(session, None, sale.id, "Paid twice").voided_at is not None


def test_the_cash_counted_at_the_close_against_the_cash_takings(
    launch: Event, world: World, session
):
    _record(session, launch, world)  # £50 cash
    sales.sell(
        session,
        None,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1)],
        payment_method="card",
    )
    report = event_queries.event_report(session, launch)
    assert report.counted_cash is None and report.cash_difference is None
    for bad, message in (("-1", "cannot be negative"), ("abc", "Cash counted: 'abc' is not")):
        with pytest.raises(DomainError, match=message):
            events.close_event(session, None, launch.id, counted_cash=bad)
    assert launch.is_open

    events.close_event(session, None, launch.id, counted_cash="47.50")
    report = event_queries.event_report(session, launch)
    assert report.cash_takings == 5000 and report.counted_cash == 4750
    assert report.cash_difference == -250  # £2.50 short
    events.reopen_event(session, None, launch.id)
    assert event_queries.event_report(session, launch).counted_cash is None


def test_a_sale_refused_after_its_document_started_leaves_the_batch_going(
    launch: Event, world: World, session
):
    """A refused sale's document (written, then rolled back with its savepoint) leaves
    the session, though its error is kept: the next sale's document may get its id
    (SQLite reuses it) and is recorded."""
    refused = _sent(world)
    refused.items[0] = SaleItem(999_999, 1)
    _place, results = sales.sell_sent(
        session, None, launch.location_id, [refused, _sent(world), refused, _sent(world)]
    )
    assert [r.recorded for r in results] == [False, True, False, True]
    assert "There is no edition 999999." in results[0].error.message
    # Every document the session holds is one the database holds.
    held = {d.id for d in session.identity_map.values() if isinstance(d, Document)}
    assert held <= set(session.scalars(select(Document.id)))
    assert _sales(session) == 2


def _statements(session, run) -> list[str]:
    """The SQL statements ``run()`` sends (an executemany counts once)."""
    sent: list[str] = []
    engine = session.get_bind().engine

    def note(_conn, _cursor, statement, _params, _context, _many):
        sent.append(" ".join(statement.split()[:3]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return sent


def test_a_batch_is_written_with_a_statement_per_table_however_many_sales(
    launch: Event, world: World, session
):
    """Twenty sales sent at once cost the round trips of one: one document insert, one
    balance taken, one insert of moves, of audit rows, of sales and their lines."""
    now = utcnow()
    batch = [_sent(world, made_at=now - timedelta(minutes=30 - m)) for m in range(8)]
    statements = _statements(
        session, lambda: sales.sell_sent(session, None, launch.location_id, batch)
    )
    assert _sales(session) == 8 and world.stock(launch.location.code) == 2
    for table in (
        "INSERT INTO documents",
        "INSERT INTO sales",
        "INSERT INTO sale_lines",
        "UPDATE balances SET",
        "INSERT INTO moves",
        "INSERT INTO audit_log",
    ):
        assert statements.count(table) == 1, (table, statements)


def test_a_batch_dated_across_a_later_arrival_is_checked_sale_by_sale(
    launch: Event, world: World, session
):
    """Copies came to the table an hour ago: a batch with a sale made before and one
    after cannot be taken at one go (the table moved after the first); each sale is
    then checked against what the table held when it was made, and both are recorded."""
    now = utcnow()
    transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=launch.location_id,
        lines=[Copies(world.edition.id, 5)],
        when=now - timedelta(hours=1),
    )
    made = [now - timedelta(hours=2), now - timedelta(minutes=30)]
    _place, results = sales.sell_sent(
        session, None, launch.location_id, [_sent(world, 6, made_at=m) for m in made]
    )
    assert [r.recorded for r in results] == [True, True]
    assert world.stock(launch.location.code) == 3
    sold_at = sorted(s.sold_at for s in session.scalars(select(Sale)))
    assert sold_at == made


def test_the_same_key_twice_in_one_batch_lands_on_the_first(launch: Event, world: World, session):
    sale = _sent(world)
    _place, results = sales.sell_sent(session, None, launch.location_id, [sale, sale])
    assert results[0].recorded and not results[1].recorded
    assert results[1].error is None and results[1].sale.id == results[0].sale.id
    assert _sales(session) == 1 and world.stock(launch.location.code) == 9
