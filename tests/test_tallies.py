"""Paper tallies typed in after the fact: the sales and signings they make, dated when
they happened, at open and closed events and at a store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import STOCKED_AT, World, snapshot
from tracker import ledger
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, NotFound, NotThereThen
from tracker.domain.periods import day_end
from tracker.models import Author, Event, Move, Sale, Signing, Tally
from tracker.queries import events as event_queries
from tracker.queries.statements import section_statement
from tracker.services import events, receipts, shipments, tallies
from tracker.services import sales as sales_service
from tracker.services.documents import AlreadySubmitted
from tracker.services.events import EventDetails
from tracker.services.movements import Copies, transfer
from tracker.services.tallies import SignedCopies, TallyLine


def ago(days: int) -> date:
    return date.today() - timedelta(days=days)


@pytest.fixture
def treasurer(make_user):
    return make_user(Role.TREASURER, "GB")


@pytest.fixture
def launch(world: World, session, treasurer) -> Event:
    """Britain received 100 copies on sale or return (£10 each) twenty days ago; ten days
    ago its launch got 30 of them on its table."""
    world.post("print_run", 500, "PRINTER", "WH", at=STOCKED_AT)
    gb = world.loc("GB-STORE").section_id
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        terms="sale_or_return",
        lines=[shipments.LineInput(world.edition.id, 100, "10.00")],
    )
    shipments.dispatch(session, None, shipment.id, when=ago(20))
    receipts.receive(
        session,
        None,
        shipment.id,
        [receipts.ReceiptInput(shipment.lines[0].id, received=100)],
        when=ago(20),
    )
    event = events.create_event(
        session,
        treasurer,
        gb,
        EventDetails(name="London launch", kind="launch", starts_on=ago(10)),
    )
    transfer(
        session,
        treasurer,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=event.location_id,
        lines=[Copies(world.edition.id, 30)],
        when=ago(10),
    )
    return event


def _stock(world: World, location_id: int, condition: str = "unsigned") -> int:
    return ledger.balance(world.session, location_id, world.edition.id, condition)


def _tally_lines(world: World) -> list[TallyLine]:
    return [
        TallyLine(world.edition.id, 3, "cash"),
        TallyLine(world.edition.id, 2, "card", unit_price="15.00"),
        TallyLine(world.edition.id, 1, "cash", unit_price="20"),
    ]


def _sales(session, tally: Tally) -> list[Sale]:
    return list(
        session.scalars(select(Sale).where(Sale.tally_id == tally.id).order_by(Sale.payment_method))
    )


def test_a_tally_for_a_past_open_event_makes_a_sale_per_payment_method(
    launch: Event, world: World, session, treasurer
):
    tally = tallies.record_sales_tally(
        session,
        treasurer,
        location_id=launch.location_id,
        lines=_tally_lines(world),
        when=ago(5),
        note="Tally sheet of the launch",
    )
    at = day_end(ago(5))
    assert tally.kind == "sales" and tally.event_id == launch.id
    assert tally.document.kind == "sales_tally" and tally.document.occurred_at == at
    card, cash = _sales(session, tally)
    assert (card.payment_method, card.copies, card.total_minor) == ("card", 2, 3000)
    assert (cash.payment_method, cash.copies, cash.total_minor) == ("cash", 4, 3 * 2500 + 2000)
    for sale in (card, cash):
        assert sale.event_id == launch.id and sale.sold_at == at
        assert sale.document.kind == "sale" and sale.document_id != tally.id
        moves = session.scalars(select(Move).where(Move.document_id == sale.id)).all()
        assert moves and all(m.occurred_at == at and m.kind == "sale" for m in moves)
    # Nothing of the tally's own: the table held the copies then.
    assert session.scalars(select(Move).where(Move.document_id == tally.id)).all() == []
    assert _stock(world, launch.location_id) == 24
    assert world.stock("GB-CUSTOMERS") == 6
    figures = event_queries.tally(session, launch.location_id)
    assert figures["sales"] == 2 and figures["copies"] == 6
    # The sale screen's undo is for the sale just made there, not a tally's.
    assert event_queries.last_sale(session, treasurer, launch.location_id) is None
    assert figures["takings"]["cash"] == 9500 and figures["takings"]["card"] == 3000
    report = event_queries.event_report(session, launch)
    assert (report.brought, report.returned, report.sold_unsigned) == (30, 0, 6)
    assert report.takings_total == 12500 and report.sales == 2
    statement = section_statement(session, launch.section_id)
    assert statement.takings["cash"] == 9500 and statement.takings["card"] == 3000
    (row,) = statement.editions
    assert row.sold_unsigned == 6
    sold = [d for d in statement.debts if "sold" in d.what]
    assert [(d.at.date(), d.amount_minor) for d in sold] == [(ago(5), 6 * 1000)]
    assert ledger.check(session) == []


def _close(session, treasurer, event: Event, when: date | None) -> Event:
    return events.close_event(session, treasurer, event.id, when=when)


def test_a_tally_for_a_closed_event_puts_its_leftovers_straight(
    launch: Event, world: World, session, treasurer
):
    _close(session, treasurer, launch, ago(3))
    store = world.loc("GB-STORE").id
    assert _stock(world, store) == 100 and _stock(world, launch.location_id) == 0

    tally = tallies.record_sales_tally(
        session,
        treasurer,
        location_id=launch.location_id,
        lines=_tally_lines(world),
        when=ago(5),
    )
    # Six of the 30 copies that went back at the close had been sold.
    (back,) = session.scalars(select(Move).where(Move.document_id == tally.id)).all()
    assert (back.kind, back.qty, back.from_location_id, back.to_location_id) == (
        "transfer",
        6,
        store,
        launch.location_id,
    )
    assert back.occurred_at == launch.closed_at == day_end(ago(3))
    assert all(s.sold_at == day_end(ago(5)) for s in _sales(session, tally))
    assert _stock(world, store) == 94 and _stock(world, launch.location_id) == 0
    assert world.stock("GB-CUSTOMERS") == 6
    assert not launch.location.active  # still closed
    report = event_queries.event_report(session, launch)
    assert (report.brought, report.returned, report.sold) == (30, 24, 6)
    assert event_queries.tally(session, launch.location_id)["copies"] == 6
    assert ledger.check(session) == []

    # Voided, the copies go to the store the leftovers went to.
    tallies.void_tally(session, treasurer, tally.id, "typed in twice")
    assert all(s.voided_at is not None for s in _sales(session, tally))
    assert _stock(world, store) == 100 and world.stock("GB-CUSTOMERS") == 0
    assert event_queries.tally(session, launch.location_id)["copies"] == 0
    assert event_queries.event_report(session, launch).sold == 0
    with pytest.raises(tallies.AlreadyVoided, match="already voided"):
        tallies.void_tally(session, treasurer, tally.id, "again")
    assert ledger.check(session) == []


def test_a_tally_dated_after_the_close_takes_from_the_leftovers(
    launch: Event, world: World, session, treasurer
):
    _close(session, treasurer, launch, ago(3))
    first = tallies.record_sales_tally(
        session,
        treasurer,
        location_id=launch.location_id,
        lines=[TallyLine(world.edition.id, 20, "cash")],
        when=ago(1),
    )
    assert _stock(world, world.loc("GB-STORE").id) == 80
    assert _stock(world, launch.location_id) == 0
    assert event_queries.event_report(session, launch).returned == 10
    # The leftovers were 30, and 20 of them are sold already.
    before = snapshot(session)
    with pytest.raises(NotThereThen, match="Only 10 unsigned copies of .* were at London launch"):
        tallies.record_sales_tally(
            session,
            treasurer,
            location_id=launch.location_id,
            lines=[TallyLine(world.edition.id, 11, "card")],
            when=date.today(),
        )
    assert snapshot(session) == before
    tallies.record_sales_tally(
        session,
        treasurer,
        location_id=launch.location_id,
        lines=[TallyLine(world.edition.id, 10, "card")],
        when=date.today(),
    )
    assert _stock(world, world.loc("GB-STORE").id) == 70 and world.stock("GB-CUSTOMERS") == 30
    assert event_queries.event_report(session, launch).returned == 0
    assert first.id in {t.document_id for t in session.scalars(select(Tally))}
    assert ledger.check(session) == []


def test_a_tally_selling_more_than_the_open_table_held_then_is_refused(
    launch: Event, world: World, session, treasurer
):
    # 30 on the table from ten days ago, 10 more two days ago: 40 now, 30 five days ago.
    transfer(
        session,
        treasurer,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=launch.location_id,
        lines=[Copies(world.edition.id, 10)],
        when=ago(2),
    )
    before = snapshot(session)
    # The tally's 35 copies (its cash and card sales together) against the 30 there then.
    with pytest.raises(
        NotThereThen,
        match="Only 30 unsigned copies of .* were at London launch .*; 10 arrived there on",
    ):
        tallies.record_sales_tally(
            session,
            treasurer,
            location_id=launch.location_id,
            lines=[
                TallyLine(world.edition.id, 20, "cash"),
                TallyLine(world.edition.id, 15, "card"),
            ],
            when=ago(5),
        )
    assert snapshot(session) == before
    assert session.scalars(select(Tally)).all() == []
    assert event_queries.tally(session, launch.location_id)["sales"] == 0


def test_a_tally_selling_more_than_the_closed_table_held_then_is_refused(
    launch: Event, world: World, session, treasurer
):
    _close(session, treasurer, launch, ago(3))
    before = snapshot(session)
    with pytest.raises(NotThereThen, match="Only 30 unsigned copies of .* were at London launch"):
        tallies.record_sales_tally(
            session,
            treasurer,
            location_id=launch.location_id,
            lines=[TallyLine(world.edition.id, 31, "cash")],
            when=ago(5),
        )
    assert snapshot(session) == before
    # Before the copies came to the table, it held none.
    with pytest.raises(NotThereThen, match="Only 0 unsigned copies"):
        tallies.record_sales_tally(
            session,
            treasurer,
            location_id=launch.location_id,
            lines=[TallyLine(world.edition.id, 1, "cash")],
            when=ago(12),
        )
    assert snapshot(session) == before


def test_a_tally_at_a_store_and_the_same_tally_sent_twice(world: World, session, treasurer):
    world.stocked(50)
    store = world.loc("GB-STORE").id
    key = "a" * 32
    tally = tallies.record_sales_tally(
        session,
        treasurer,
        location_id=store,
        lines=[TallyLine(world.edition.id, 4, "bank_transfer")],
        when=ago(2),
        key=key,
    )
    (sale,) = _sales(session, tally)
    assert sale.event_id is None and tally.event_id is None and sale.location_id == store
    before = snapshot(session)
    with pytest.raises(AlreadySubmitted) as sent:
        tallies.record_sales_tally(
            session,
            treasurer,
            location_id=store,
            lines=[TallyLine(world.edition.id, 4, "bank_transfer")],
            when=ago(2),
            key=key,
        )
    assert sent.value.document_id == tally.id
    assert snapshot(session) == before
    assert world.stock("GB-STORE") == 46
    assert event_queries.tally(session, store)["takings"]["bank_transfer"] == 4 * 2500
    assert ledger.check(session) == []


def test_another_sections_place_does_not_exist(launch: Event, world: World, session, make_user):
    swede = make_user(Role.TREASURER, "SE")
    before = snapshot(session)
    for location_id in (launch.location_id, world.loc("GB-STORE").id):
        with pytest.raises(NotFound):
            tallies.record_sales_tally(
                session,
                swede,
                location_id=location_id,
                lines=[TallyLine(world.edition.id, 1, "cash")],
                when=ago(5),
            )
    with pytest.raises(NotFound):
        tallies.record_signing_tally(
            session,
            swede,
            event_id=launch.id,
            lines=[SignedCopies(world.edition.id, 1)],
            when=ago(5),
            author_ids=_authors(session),
        )
    coordinator = make_user(Role.COORDINATOR)
    with pytest.raises(DomainError, match="treasurer"):
        tallies.record_sales_tally(
            session,
            coordinator,
            location_id=launch.location_id,
            lines=[TallyLine(world.edition.id, 1, "cash")],
            when=ago(5),
        )
    assert snapshot(session) == before


def _authors(session) -> list[int]:
    return [a.id for a in session.scalars(select(Author).order_by(Author.name))]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines": []}, "The tally has no lines"),
        ({"lines": [TallyLine(9999, 1)]}, "Line 1: There is no edition 9999."),
        ({"qty": 0}, "Line 2: .*the quantity must be at least 1, not 0"),
        ({"qty": 1_000_001}, "Line 2: .*: 1000001 copies in one move is more than 1,000,000"),
        ({"price": "abc"}, "Line 2: 'abc' is not an amount of money"),
        ({"price": "-1"}, "Line 2: The price cannot be negative"),
        ({"price": "1.001"}, "Line 2: .*1.001"),
        ({"payment": "bitcoin"}, "Line 2: Choose how the reader paid"),
        ({"condition": "mint"}, "Line 2: 'mint' is not a condition"),
        ({"when": date.today() + timedelta(days=1)}, "is in the future"),
        ({"when": datetime.now(UTC) + timedelta(hours=1)}, "is in the future"),
        ({"lines": "many"}, "it takes at most 400"),
        ({"location": 999_999}, "There is no store or event table 999999"),
        ({"note": "a\x00b"}, "note"),
    ],
)
def test_tallies_that_cannot_be(launch: Event, world: World, session, treasurer, change, message):
    second = TallyLine(
        world.edition.id,
        change.get("qty", 1),
        change.get("payment", "cash"),
        change.get("condition", "unsigned"),
        change.get("price"),
    )
    lines = change.get("lines", [TallyLine(world.edition.id, 1), second])
    if lines == "many":
        lines = [TallyLine(world.edition.id, 1)] * 401
    before = snapshot(session)
    with pytest.raises(DomainError, match=message):
        tallies.record_sales_tally(
            session,
            treasurer,
            location_id=change.get("location", launch.location_id),
            lines=lines,
            when=change.get("when", ago(5)),
            note=change.get("note"),
        )
    assert snapshot(session) == before


def test_a_signing_tally_at_an_open_event(launch: Event, world: World, session, treasurer):
    tally = tallies.record_signing_tally(
        session,
        treasurer,
        event_id=launch.id,
        lines=[SignedCopies(world.edition.id, 3), SignedCopies(world.edition.id, 1)],
        when=ago(5),
        author_ids=_authors(session),
    )
    assert tally.kind == "signings" and tally.document.kind == "signings_tally"
    (signing,) = session.scalars(select(Signing).where(Signing.tally_id == tally.id)).all()
    assert signing.qty == 4 and signing.event_id == launch.id
    assert signing.author_names == "Alan Woods and Rob Sewell"
    moves = session.scalars(select(Move).where(Move.document_id == signing.document_id)).all()
    assert [(m.kind, m.qty, m.occurred_at) for m in moves] == [("signing", 4, day_end(ago(5)))]
    assert _stock(world, launch.location_id) == 26
    assert _stock(world, launch.location_id, "signed") == 4
    assert event_queries.event_report(session, launch).signed == 4
    # The tally's signed copies sell, in a tally of their own.
    tallies.record_sales_tally(
        session,
        treasurer,
        location_id=launch.location_id,
        lines=[TallyLine(world.edition.id, 2, "cash", "signed")],
        when=ago(4),
    )
    assert _stock(world, launch.location_id, "signed") == 2
    assert ledger.check(session) == []


def test_a_signing_tally_at_a_closed_event(launch: Event, world: World, session, treasurer):
    _close(session, treasurer, launch, ago(3))
    store = world.loc("GB-STORE").id
    tally = tallies.record_signing_tally(
        session,
        treasurer,
        event_id=launch.id,
        lines=[SignedCopies(world.edition.id, 4)],
        when=ago(5),
        author_ids=_authors(session)[:1],
    )
    # At the close, 4 of the 30 copies that went back were signed ones.
    back = session.scalars(select(Move).where(Move.document_id == tally.id).order_by(Move.id))
    assert [
        (m.from_location_id, m.to_location_id, m.from_condition, m.qty, m.occurred_at) for m in back
    ] == [
        (store, launch.location_id, "unsigned", 4, launch.closed_at),
        (launch.location_id, store, "signed", 4, launch.closed_at),
    ]
    assert _stock(world, store) == 96 and _stock(world, store, "signed") == 4
    assert _stock(world, launch.location_id) == 0
    assert _stock(world, launch.location_id, "signed") == 0
    report = event_queries.event_report(session, launch)
    assert (report.brought, report.returned, report.signed) == (30, 30, 4)
    assert ledger.check(session) == []

    before = snapshot(session)
    with pytest.raises(DomainError, match="closed on .* Date the signing when the event was open"):
        tallies.record_signing_tally(
            session,
            treasurer,
            event_id=launch.id,
            lines=[SignedCopies(world.edition.id, 1)],
            when=ago(1),
            author_ids=_authors(session),
        )
    with pytest.raises(NotThereThen, match="Only 26 unsigned copies"):
        tallies.record_signing_tally(
            session,
            treasurer,
            event_id=launch.id,
            lines=[SignedCopies(world.edition.id, 27)],
            when=ago(5),
            author_ids=_authors(session),
        )
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines": []}, "The tally has no lines"),
        ({"lines": [SignedCopies(9999, 1)]}, "Line 1: there is no edition 9999"),
        ({"qty": 0}, "Line 1, .*: the quantity must be at least 1"),
        ({"authors": []}, "Choose who signed"),
        ({"authors": [9999]}, "Choose who signed"),
        ({"qty": 600_000, "twice": True}, "all lines together: 1200000 copies"),
        ({"event": 999_999}, "There is no event 999999"),
    ],
)
def test_signing_tallies_that_cannot_be(
    launch: Event, world: World, session, treasurer, change, message
):
    line = SignedCopies(world.edition.id, change.get("qty", 1))
    lines = change.get("lines", [line, line] if change.get("twice") else [line])
    before = snapshot(session)
    with pytest.raises(DomainError, match=message):
        tallies.record_signing_tally(
            session,
            treasurer,
            event_id=change.get("event", launch.id),
            lines=lines,
            when=ago(5),
            author_ids=change.get("authors", _authors(session)),
        )
    assert snapshot(session) == before


def test_only_a_sales_tally_is_voided_and_a_sale_voided_alone_stays_so(
    launch: Event, world: World, session, treasurer
):
    signing = tallies.record_signing_tally(
        session,
        treasurer,
        event_id=launch.id,
        lines=[SignedCopies(world.edition.id, 1)],
        when=ago(5),
        author_ids=_authors(session),
    )
    with pytest.raises(DomainError, match="only a sales tally is voided"):
        tallies.void_tally(session, treasurer, signing.id, "no")
    tally = tallies.record_sales_tally(
        session,
        treasurer,
        location_id=launch.location_id,
        lines=_tally_lines(world),
        when=ago(5),
    )
    card, cash = _sales(session, tally)
    sales_service.void_sale(session, treasurer, card.id, "paid cash in fact")
    with pytest.raises(DomainError, match="Say why the tally is voided"):
        tallies.void_tally(session, treasurer, tally.id, " ")
    tallies.void_tally(session, treasurer, tally.id, "wrong sheet")
    session.refresh(cash)
    assert cash.void_reason == "wrong sheet" and card.void_reason == "paid cash in fact"
    assert _stock(world, launch.location_id) == 29  # one signed is left
    assert event_queries.tally(session, launch.location_id)["sales"] == 0
    assert ledger.check(session) == []
