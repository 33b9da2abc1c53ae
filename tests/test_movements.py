"""Deliveries from the printer, transfers, write-offs and stocktakes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.factories import World, snapshot
from tracker import ledger
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, InsufficientStock, NotFound
from tracker.models import Move, StocktakeLine
from tracker.services import movements
from tracker.services.movements import Copies


@pytest.fixture
def staff(make_user):
    return make_user(Role.DISTRIBUTOR)


@pytest.fixture
def treasurer(make_user):
    return make_user(Role.TREASURER, "GB")


def test_a_delivery_from_the_printer(world: World, session, staff):
    day = date.today() - timedelta(days=3)
    document = movements.record_print_run(
        session, staff, edition_id=world.edition.id, qty=500, when=day, reference="Run 7"
    )
    (move,) = session.scalars(select(Move).where(Move.document_id == document.id)).all()
    assert (move.kind, move.qty, move.to_location.code) == ("print_run", 500, "WH")
    assert move.occurred_at.date() == day and document.reference == "Run 7"
    assert world.stock("WH") == 500


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reference": ""}, "Give the delivery's reference"),
        ({"qty": 0}, "the quantity must be at least 1, not 0."),
        ({"when": date.today() + timedelta(days=1)}, "is in the future."),
        ({"edition_id": 99999}, "There is no edition 99999."),
    ],
)
def test_bad_deliveries(world: World, session, staff, kwargs, message):
    before = snapshot(session)
    with pytest.raises(DomainError, match=message):
        movements.record_print_run(
            session,
            staff,
            **{"edition_id": world.edition.id, "qty": 10, "reference": "R", **kwargs},
        )
    assert snapshot(session) == before


def test_only_staff_record_deliveries(world: World, session, treasurer):
    with pytest.raises(DomainError, match="Only distribution staff"):
        movements.record_print_run(
            session, treasurer, edition_id=world.edition.id, qty=1, reference="R"
        )


def test_to_an_event_table_and_back(world: World, session, treasurer):
    world.stocked(50)
    store, table = world.loc("GB-STORE"), world.loc("GB-EV")
    out = movements.transfer(
        session,
        treasurer,
        from_location_id=store.id,
        to_location_id=table.id,
        note="for the launch",
        lines=[Copies(world.edition.id, 30)],
    )
    assert out.from_location.code == "GB-STORE" and out.document.note == "for the launch"
    world.post("signing", 5, "GB-EV", "GB-EV", to_condition="signed")
    movements.transfer(
        session,
        treasurer,
        from_location_id=table.id,
        to_location_id=store.id,
        lines=[Copies(world.edition.id, 25), Copies(world.edition.id, 5, "signed")],
    )
    assert world.stock("GB-STORE") == 45 and world.stock("GB-STORE", condition="signed") == 5

    assert world.stock("GB-EV") == 0
    assert ledger.check(session) == []


def test_transfer_rules(world: World, session, treasurer, staff):
    world.stocked(10)
    gb, table, se = world.loc("GB-STORE"), world.loc("GB-EV"), world.loc("SE-STORE")
    warehouse = world.loc("WH")
    cases = [
        (treasurer, gb.id, se.id, NotFound, "There is no location"),
        (staff, warehouse.id, gb.id, DomainError, "by shipments, not transfers"),
        (staff, gb.id, gb.id, DomainError, "Choose two different places"),
        (treasurer, gb.id, table.id, InsufficientStock, "10 copies there, 11 asked"),
        (
            treasurer,
            world.loc("GB-CUSTOMERS").id,
            gb.id,
            DomainError,
            "is not a place where copies are kept",
        ),
    ]
    before = snapshot(session)
    for actor, src, dst, error, message in cases:
        qty = 11 if error is InsufficientStock else 1
        with pytest.raises(error, match=message):
            movements.transfer(
                session,
                actor,
                from_location_id=src,
                to_location_id=dst,
                lines=[Copies(world.edition.id, qty)],
            )
    with pytest.raises(DomainError, match="Give a number of copies"):
        movements.transfer(
            session,
            treasurer,
            from_location_id=gb.id,
            to_location_id=table.id,
            lines=[Copies(world.edition.id, 0)],
        )
    assert snapshot(session) == before
    # Distribution staff move copies between sections.
    movements.transfer(
        session,
        staff,
        from_location_id=gb.id,
        to_location_id=se.id,
        lines=[Copies(world.edition.id, 4)],
    )
    assert world.stock("SE-STORE") == 4


def test_cross_section_transfers_are_for_staff(world: World, session, make_user):
    world.stocked(10)
    admin_like = make_user(Role.TREASURER, "GB")
    se = world.loc("SE-STORE")
    with pytest.raises(NotFound):
        movements.transfer(
            session,
            admin_like,
            from_location_id=world.loc("GB-STORE").id,
            to_location_id=se.id,
            lines=[Copies(world.edition.id, 1)],
        )


def test_write_offs(world: World, session, treasurer):
    world.stocked(10)
    store = world.loc("GB-STORE")
    record = movements.write_off(
        session,
        treasurer,
        location_id=store.id,
        reason="gift",
        lines=[Copies(world.edition.id, 2)],
        note="to the library",
    )
    assert record.reason_label == "gift"
    assert world.stock("GB-STORE") == 8 and world.stock("GB-WRITTEN-OFF") == 2
    with pytest.raises(DomainError, match="need a note saying what happened"):
        movements.write_off(
            session,
            treasurer,
            location_id=store.id,
            reason="damaged",
            lines=[Copies(world.edition.id, 1)],
        )
    with pytest.raises(DomainError, match="Say why the copies are written off"):
        movements.write_off(
            session,
            treasurer,
            location_id=store.id,
            reason="boredom",
            lines=[Copies(world.edition.id, 1)],
        )
    with pytest.raises(InsufficientStock, match="8 copies there, 9 asked"):
        movements.write_off(
            session,
            treasurer,
            location_id=store.id,
            reason="lost",
            note="flood",
            lines=[Copies(world.edition.id, 9)],
        )
    assert world.stock("GB-STORE") == 8


def test_the_warehouse_writes_off_into_the_publishers_account(world: World, session, staff):
    world.printed(5)
    movements.write_off(
        session,
        staff,
        location_id=world.loc("WH").id,
        reason="damaged",
        note="water",
        lines=[Copies(world.edition.id, 2)],
    )
    assert world.stock("WH-WRITTEN-OFF") == 2


def test_a_stocktake_books_its_differences(world: World, session, treasurer):
    world.stocked(20)
    world.post("signing", 4, "GB-STORE", "GB-STORE", to_condition="signed")
    store = world.loc("GB-STORE")
    record = movements.stocktake(
        session,
        treasurer,
        location_id=store.id,
        blind=True,
        reason="recount",
        counts=[
            Copies(world.edition.id, 14),
            Copies(world.edition.id, 5, "signed"),
            Copies(world.edition_es.id, 0),
        ],
    )
    lines = {(line.edition_id, line.condition): line for line in record.lines}
    assert (
        lines[(world.edition.id, "unsigned")].expected,
        lines[(world.edition.id, "unsigned")].counted,
    ) == (16, 14)
    assert lines[(world.edition.id, "signed")].difference == 1
    assert lines[(world.edition_es.id, "unsigned")].difference == 0
    assert record.difference == -1 and record.blind
    assert world.stock("GB-STORE") == 14 and world.stock("GB-STORE", condition="signed") == 5
    assert (
        world.stock("GB-STOCKTAKE") == 2 and world.stock("GB-STOCKTAKE", condition="signed") == -1
    )
    kinds = sorted(
        m.kind for m in session.scalars(select(Move).where(Move.document_id == record.document_id))
    )
    assert kinds == ["stocktake_gain", "stocktake_loss"]
    assert ledger.check(session) == []


def test_a_count_that_matches_moves_nothing(world: World, session, treasurer):
    world.stocked(7)
    record = movements.stocktake(
        session,
        treasurer,
        location_id=world.loc("GB-STORE").id,
        counts=[Copies(world.edition.id, 7)],
    )
    assert record.difference == 0
    assert session.scalars(select(Move).where(Move.document_id == record.document_id)).all() == []
    assert session.scalars(select(StocktakeLine)).all()


@pytest.mark.parametrize(
    ("counts", "reason", "message"),
    [
        ([(5,)], None, "give a reason for the difference"),
        ([(-1,)], "x", "The count must be a whole number, 0 or more."),
        ([(5,), (6,)], "x", "counted twice"),
        ([], "x", "Count at least one edition."),
        ([(2_000_000,)], "x", "more than 1,000,000"),
    ],
)
def test_bad_stocktakes(world: World, session, treasurer, counts, reason, message):
    world.stocked(7)
    before = snapshot(session)
    with pytest.raises(DomainError, match=message):
        movements.stocktake(
            session,
            treasurer,
            location_id=world.loc("GB-STORE").id,
            counts=[Copies(world.edition.id, c[0]) for c in counts],
            reason=reason,
        )
    assert snapshot(session) == before


def test_a_treasurer_counts_only_their_own_places(world: World, session, treasurer):
    with pytest.raises(NotFound):
        movements.stocktake(
            session,
            treasurer,
            location_id=world.loc("SE-STORE").id,
            counts=[Copies(world.edition.id, 0)],
        )
