"""Events, sales, voids and signings, through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.factories import World, snapshot
from tracker import ledger
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, InsufficientStock, NotFound
from tracker.models import Author, Event, Move, Sale
from tracker.queries import events as event_queries
from tracker.services import events
from tracker.services import prices as prices_service
from tracker.services import sales as sales_service
from tracker.services import signings as signings_service
from tracker.services.events import EventDetails
from tracker.services.movements import Copies, transfer
from tracker.services.sales import SaleItem


@pytest.fixture
def treasurer(make_user):
    return make_user(Role.TREASURER, "GB")


@pytest.fixture
def launch(world: World, session, treasurer) -> Event:
    """Britain's launch, with 30 copies brought from a store holding 100."""
    world.stocked(100)
    event = events.create_event(
        session,
        treasurer,
        world.loc("GB-STORE").section_id,
        EventDetails(
            name="London launch",
            kind="launch",
            starts_on=date.today(),
            city="London",
            expected_attendance=150,
        ),
    )
    transfer(
        session,
        treasurer,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=event.location_id,
        lines=[Copies(world.edition.id, 30)],
    )
    return event


def _authors(session) -> list[int]:
    return [a.id for a in session.scalars(select(Author).order_by(Author.name))]


def test_an_event_gets_a_table_of_its_own(launch: Event, world: World):
    assert launch.location.kind == "event_table" and launch.location.section_id == launch.section_id
    assert launch.location.code == f"GB-EV-{date.today():%Y%m%d}"
    assert launch.location.name == "London launch" and launch.is_open
    assert world.stock(launch.location.code) == 30


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "The event's name is required."),
        ({"kind": "rave"}, "'rave' is not a kind of event"),
        ({"ends_on": date.today() - timedelta(days=1)}, "cannot end before it starts"),
        ({"expected_attendance": -1}, "expected attendance must be a number from 0"),
    ],
)
def test_bad_events(world: World, session, treasurer, changes, message):
    details = {"name": "x", "kind": "launch", "starts_on": date.today(), **changes}
    before = snapshot(session)
    with pytest.raises(DomainError, match=message):
        events.create_event(
            session, treasurer, world.loc("GB-STORE").section_id, EventDetails(**details)
        )
    assert snapshot(session) == before
    assert session.scalars(select(Event)).all() == []


def test_sales_take_from_the_table_at_the_usual_or_a_typed_price(
    launch: Event, world: World, session, treasurer
):
    sale = sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 2)],
        payment_method="cash",
        buyer_name="Sam",
    )
    assert sale.total_minor == 5000 and sale.currency == "GBP"  # the list price, £25
    assert sale.event_id == launch.id and sale.buyer_name == "Sam"
    sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1, unit_price="15.00")],
        payment_method="card",
    )
    assert world.stock(launch.location.code) == 27 and world.stock("GB-CUSTOMERS") == 3
    prices_service.set_price(session, treasurer, launch.section_id, world.edition.id, "20")
    sale = sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1)],
        payment_method="bank_transfer",
    )
    assert sale.total_minor == 2000


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"items": [SaleItem(0, 31)]}, InsufficientStock, "30 copies there, 31 asked"),
        ({"items": [SaleItem(0, 1, unit_price="-1")]}, DomainError, "cannot be negative"),
        ({"items": [SaleItem(0, 1, unit_price="1.999")]}, DomainError, "more decimals"),
        ({"currency": "EUR"}, DomainError, "Sales of Britain are in GBP, not EUR."),
        ({"payment_method": "barter"}, DomainError, "Choose how the reader paid"),
        ({"items": [SaleItem(0, 0)]}, DomainError, "the quantity must be at least 1"),
        ({"items": []}, DomainError, "Choose what was sold."),
        ({"items": [SaleItem(0, 1, "signed")]}, InsufficientStock, "0 copies there, 1 asked"),
    ],
)
def test_sales_that_cannot_be(
    launch: Event, world: World, session, treasurer, kwargs, error, message
):
    arguments = {
        "location_id": launch.location_id,
        "items": [SaleItem(0, 1)],
        "payment_method": "cash",
        **kwargs,
    }
    arguments["items"] = [
        SaleItem(world.edition.id, i.qty, i.condition, i.unit_price) for i in arguments["items"]
    ]
    before = snapshot(session)
    with pytest.raises(error, match=message):
        sales_service.sell(session, treasurer, **arguments)
    assert snapshot(session) == before
    assert session.scalars(select(Sale)).all() == []


def test_a_price_is_needed_where_the_list_price_is_in_another_currency(
    world: World, session, make_user
):
    world.stocked(5, store="SE-STORE")
    swede = make_user(Role.TREASURER, "SE")
    with pytest.raises(DomainError, match="has no price in SEK yet"):
        sales_service.sell(
            session,
            swede,
            location_id=world.loc("SE-STORE").id,
            items=[SaleItem(world.edition.id, 1)],
            payment_method="cash",
        )
    sale = sales_service.sell(
        session,
        swede,
        location_id=world.loc("SE-STORE").id,
        items=[SaleItem(world.edition.id, 1, unit_price="249.50")],
        payment_method="cash",
    )
    assert sale.currency == "SEK" and sale.total_minor == 24950


def test_closing_brings_the_leftovers_back_and_stops_sales(
    launch: Event, world: World, session, treasurer
):
    sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 4)],
        payment_method="cash",
    )
    signings_service.sign(
        session,
        treasurer,
        event_id=launch.id,
        edition_id=world.edition.id,
        qty=5,
        author_ids=_authors(session),
    )
    events.close_event(session, treasurer, launch.id)
    assert world.stock(launch.location.code) == 0
    assert world.stock("GB-STORE") == 70 + 21 and world.stock("GB-STORE", condition="signed") == 5
    assert not launch.is_open and not launch.location.active
    with pytest.raises(DomainError, match="London launch is closed: reopen it to sell there."):
        sales_service.sell(
            session,
            treasurer,
            location_id=launch.location_id,
            items=[SaleItem(world.edition.id, 1)],
            payment_method="cash",
        )
    with pytest.raises(DomainError, match="already closed"):
        events.close_event(session, treasurer, launch.id)
    events.reopen_event(session, treasurer, launch.id)
    assert launch.is_open and launch.location.active
    assert ledger.check(session) == []


def test_void_and_undo_are_reversals(launch: Event, world: World, session, treasurer, make_user):
    first = sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 3)],
        payment_method="cash",
    )
    second = sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1)],
        payment_method="card",
    )
    undone = sales_service.undo_sale(session, treasurer, launch.location_id, second.id)
    assert undone.id == second.id and undone.void_reason == "Undone at the table"
    sales_service.void_sale(session, treasurer, first.id, "counted twice")
    assert world.stock(launch.location.code) == 30 and world.stock("GB-CUSTOMERS") == 0
    reversals = session.scalars(select(Move).where(Move.kind == "reversal")).all()
    assert len(reversals) == 2 and all(m.reverses_id for m in reversals)
    with pytest.raises(DomainError, match=f"Sale #{first.id} was already voided."):
        sales_service.void_sale(session, treasurer, first.id, "again")
    with pytest.raises(DomainError, match="Say why the sale is voided."):
        sales_service.void_sale(session, treasurer, second.id, " ")
    # A second tap on Undo names the same sale: it is not undone twice, and no other
    # sale is undone in its place.
    with pytest.raises(sales_service.AlreadyUndone, match=f"Sale #{second.id} was already undone."):
        sales_service.undo_sale(session, treasurer, launch.location_id, second.id)
    with pytest.raises(DomainError, match=f"There is no sale #{first.id + 999} of yours"):
        sales_service.undo_sale(session, treasurer, launch.location_id, first.id + 999)
    swede = make_user(Role.TREASURER, "SE")
    third = sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1)],
        payment_method="cash",
    )
    with pytest.raises(NotFound, match=f"There is no sale {third.id}."):
        sales_service.void_sale(session, swede, third.id, "not mine")
    assert ledger.check(session) == []


def _tally_from_sales(session, location_id: int) -> dict:
    """The tally a place's sale screen must show, added up from its sales one by one."""
    takings = {"cash": 0, "card": 0, "bank_transfer": 0, "other": 0}
    copies = count = 0
    for sale in session.scalars(select(Sale).where(Sale.location_id == location_id)):
        if sale.voided_at is None:
            count += 1
            copies += sale.copies
            takings[sale.payment_method] += sale.total_minor
    return {"copies": copies, "sales": count, "takings": takings, "total": sum(takings.values())}


def test_the_tally_kept_with_sales_and_voids(launch: Event, world: World, session, treasurer):
    store = world.loc("GB-STORE").id
    table = launch.location_id
    sold = []
    for place, qty, method, price in (
        (table, 2, "cash", None),
        (table, 1, "card", "15.00"),
        (store, 3, "cash", None),
        (table, 4, "cash", "0"),
        (store, 1, "other", "12.50"),
        (table, 1, "bank_transfer", None),
    ):
        sold.append(
            sales_service.sell(
                session,
                treasurer,
                location_id=place,
                items=[SaleItem(world.edition.id, qty, unit_price=price)],
                payment_method=method,
            )
        )
    sales_service.void_sale(session, treasurer, sold[0].id, "wrong book")
    sales_service.undo_sale(session, treasurer, table, sold[5].id)
    before = event_queries.tally(session, table)
    with pytest.raises(InsufficientStock):
        sales_service.sell(
            session,
            treasurer,
            location_id=table,
            items=[SaleItem(world.edition.id, 1000)],
            payment_method="cash",
        )
    assert event_queries.tally(session, table) == before == _tally_from_sales(session, table)
    assert before["sales"] == 2 and before["copies"] == 5 and before["takings"]["card"] == 1500
    assert event_queries.tally(session, store) == _tally_from_sales(session, store)
    assert event_queries.tally(session, store)["total"] == 3 * 2500 + 1250
    assert event_queries.tally(session, world.loc("SE-STORE").id)["sales"] == 0


def test_signings(launch: Event, world: World, session, treasurer):
    woods, sewell = _authors(session)
    signing = signings_service.sign(
        session,
        treasurer,
        event_id=launch.id,
        edition_id=world.edition.id,
        qty=10,
        author_ids=[woods, sewell],
        dedications=["Ahmed", "", "Greta"],
    )
    assert signing.author_names == "Alan Woods and Rob Sewell"
    assert [d.recipient for d in signing.dedications] == ["Ahmed", "Greta"]
    assert world.stock(launch.location.code) == 20
    assert world.stock(launch.location.code, condition="signed") == 10
    signings_service.sign(
        session,
        treasurer,
        event_id=launch.id,
        edition_id=world.edition.id,
        qty=5,
        author_ids=[woods],
    )
    # A signed copy is sold from the signed stock.
    sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 2, "signed")],
        payment_method="cash",
    )
    assert world.stock(launch.location.code, condition="signed") == 13
    totals = event_queries.signings(session)
    assert [(a.author.name, a.copies, a.events) for a in totals.by_author] == [
        ("Alan Woods", 15, 1),
        ("Rob Sewell", 10, 1),
    ]
    assert totals.total == 15
    assert [(s.name, q) for s, q in totals.signed_left] == [("Britain", 13)]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"qty": 31}, InsufficientStock, "30 copies there, 31 asked"),
        ({"author_ids": []}, DomainError, "Choose who signed"),
        ({"author_ids": [99999]}, DomainError, "Choose who signed"),
        ({"qty": 1, "dedications": ["a", "b"]}, DomainError, "2 dedications for 1 copy"),
    ],
)
def test_signings_that_cannot_be(
    launch: Event, world: World, session, treasurer, kwargs, error, message
):
    arguments = {
        "event_id": launch.id,
        "edition_id": world.edition.id,
        "qty": 2,
        "author_ids": _authors(session)[:1],
        **kwargs,
    }
    before = snapshot(session)
    with pytest.raises(error, match=message):
        signings_service.sign(session, treasurer, **arguments)
    assert snapshot(session) == before


def test_other_roles_and_sections(launch: Event, world: World, session, make_user):
    for role, section in ((Role.COORDINATOR, None), (Role.DISTRIBUTOR, None)):
        with pytest.raises(DomainError, match="Only a section's treasurer"):
            sales_service.sell(
                session,
                make_user(role, section),
                location_id=launch.location_id,
                items=[SaleItem(world.edition.id, 1)],
                payment_method="cash",
            )
    swede = make_user(Role.TREASURER, "SE")
    with pytest.raises(NotFound):
        sales_service.sell(
            session,
            swede,
            location_id=launch.location_id,
            items=[SaleItem(world.edition.id, 1)],
            payment_method="cash",
        )
    with pytest.raises(NotFound):
        events.get_event(session, swede, launch.id)


def test_the_event_report(launch: Event, world: World, session, treasurer):
    signings_service.sign(
        session,
        treasurer,
        event_id=launch.id,
        edition_id=world.edition.id,
        qty=6,
        author_ids=_authors(session),
    )
    sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 4)],
        payment_method="cash",
    )
    sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 2, "signed", "30")],
        payment_method="card",
    )
    voided = sales_service.sell(
        session,
        treasurer,
        location_id=launch.location_id,
        items=[SaleItem(world.edition.id, 1)],
        payment_method="cash",
    )
    sales_service.void_sale(session, treasurer, voided.id, "mistake")
    events.close_event(session, treasurer, launch.id)
    report = event_queries.event_report(session, launch)
    assert (report.brought, report.returned) == (30, 24)
    assert (report.sold_unsigned, report.sold_signed, report.signed) == (4, 2, 6)
    assert (report.sales, report.voided) == (2, 1)
    assert report.takings == {"cash": 10000, "card": 6000, "bank_transfer": 0, "other": 0}
    assert report.attendance == 150 and str(report.per_attendee) == "0.04"
