"""The ledger: postings, refusals that write nothing, reversals, the self-check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.factories import World, snapshot
from tracker import ledger
from tracker.db import utcnow
from tracker.domain.errors import AlreadyReversed, InsufficientStock, InvalidMove, NotFound
from tracker.ledger import MoveLine
from tracker.models import Document, Move
from tracker.services.stock import post_document, reverse_moves


def test_a_posting_moves_copies_and_keeps_balances(world: World, session):
    world.stocked(100)
    world.post("transfer", 30, "GB-STORE", "GB-EV")
    world.post("sale", 4, "GB-EV", "GB-CUSTOMERS")
    world.post("signing", 10, "GB-EV", "GB-EV", to_condition="signed")
    world.post("sale", 2, "GB-EV", "GB-CUSTOMERS", condition="signed")

    assert world.stock("PRINTER") == -100
    assert world.stock("WH") == 0
    assert world.stock("GB-TRANSIT") == 0
    assert world.stock("GB-STORE") == 70
    assert world.stock("GB-EV") == 16
    assert world.stock("GB-EV", condition="signed") == 8
    assert world.stock("GB-CUSTOMERS") == 4
    assert world.stock("GB-CUSTOMERS", condition="signed") == 2
    assert ledger.check(session) == []


def test_moves_record_what_happened(world: World, session):
    world.stocked(10)
    document = world.post("transfer", 3, "GB-STORE", "GB-EV")
    (move,) = session.scalars(select(Move).where(Move.document_id == document.id)).all()
    assert (move.qty, move.kind, move.from_condition, move.to_condition) == (
        3,
        "transfer",
        "unsigned",
        "unsigned",
    )
    assert move.from_location.code == "GB-STORE" and move.to_location.code == "GB-EV"
    assert move.created_at.tzinfo is not None and move.occurred_at.tzinfo is not None
    assert move.created_by_id is None


def test_short_stock_names_place_edition_condition_and_quantities(world: World, session):
    world.stocked(5)
    before = snapshot(session)
    with pytest.raises(InsufficientStock) as error:
        world.post("sale", 7, "GB-STORE", "GB-CUSTOMERS")
    message = str(error.value)
    assert "Britain store (GB-STORE)" in message
    assert "In Defence of Lenin (English paperback)" in message and "9781913026868" in message
    assert "unsigned" in message
    assert "5 copies there, 7 asked" in message
    assert snapshot(session) == before


def test_a_refused_line_undoes_the_whole_posting(world: World, session):
    world.stocked(10)
    before = snapshot(session)
    lines = [
        world.line("transfer", 5, "GB-STORE", "GB-EV"),
        world.line("sale", 3, "GB-EV", "GB-CUSTOMERS"),
        world.line("sale", 1, "GB-EV", "GB-CUSTOMERS", condition="signed"),  # none signed
    ]
    with pytest.raises(InsufficientStock):
        post_document(session, "sale", lines)
    assert snapshot(session) == before
    # The session is still usable: the refusal rolled back to its own savepoint.
    world.post("transfer", 5, "GB-STORE", "GB-EV")
    assert world.stock("GB-EV") == 5


def test_lines_of_one_posting_net_out(world: World, session):
    """Copies brought to a table and sold from it in one posting: fine, all or none."""
    world.stocked(10)
    post_document(
        session,
        "sale",
        [
            world.line("transfer", 4, "GB-STORE", "GB-EV"),
            world.line("sale", 4, "GB-EV", "GB-CUSTOMERS"),
        ],
    )
    assert world.stock("GB-EV") == 0 and world.stock("GB-CUSTOMERS") == 4


@pytest.mark.parametrize(
    ("qty", "message"),
    [
        (0, "the quantity must be at least 1, not 0."),
        (-3, "the quantity must be at least 1, not -3."),
        ("3", "the quantity must be a whole number, not '3'."),
        (2.5, "the quantity must be a whole number, not 2.5."),
        (True, "the quantity must be a whole number, not True."),
        (None, "the quantity must be a whole number, not None."),
        (1_000_001, "1000001 copies in one move is more than 1,000,000."),
    ],
)
def test_bad_quantities_are_refused(world: World, session, qty, message):
    world.stocked(10)
    before = snapshot(session)
    with pytest.raises(InvalidMove) as error:
        world.post("transfer", qty, "GB-STORE", "GB-EV")
    assert str(error.value) == message
    assert snapshot(session) == before


def test_unknown_edition_and_locations_are_refused(world: World, session):
    world.stocked(10)
    before = snapshot(session)
    store, table = world.loc("GB-STORE").id, world.loc("GB-EV").id
    cases = [
        (MoveLine("transfer", 999_999, 1, store, table), "there is no edition 999999."),
        (
            MoveLine("transfer", world.edition.id, 1, 999_999, table),
            "there is no location 999999 to take copies from.",
        ),
        (
            MoveLine("transfer", world.edition.id, 1, store, 999_999),
            "there is no location 999999 to put copies in.",
        ),
        (
            MoveLine("teleport", world.edition.id, 1, store, table),
            "'teleport' is not a kind of move.",
        ),
        (
            MoveLine("transfer", world.edition.id, 1, store, table, from_condition="mint"),
            "the condition must be 'unsigned' or 'signed'.",
        ),
        (
            MoveLine("reversal", world.edition.id, 1, store, table),
            "reversals are made by reversing a move, not posted directly.",
        ),
    ]
    for line, message in cases:
        with pytest.raises(InvalidMove) as error:
            post_document(session, "test", [line])
        assert str(error.value) == message
    assert snapshot(session) == before


def test_multi_line_errors_say_which_line(world: World, session):
    world.stocked(10)
    with pytest.raises(InvalidMove) as error:
        post_document(
            session,
            "x",
            [
                world.line("transfer", 1, "GB-STORE", "GB-EV"),
                world.line("transfer", 0, "GB-STORE", "GB-EV"),
            ],
        )
    assert str(error.value) == "Move 2: the quantity must be at least 1, not 0."


def test_a_posting_needs_moves(world: World, session):
    with pytest.raises(InvalidMove, match="at least one move"):
        post_document(session, "x", [])


@pytest.mark.parametrize(
    ("kind", "src", "dst", "extra", "message"),
    [
        (
            "transfer",
            "GB-STORE",
            "GB-STORE",
            {},
            "copies cannot move from Britain store (GB-STORE) to itself.",
        ),
        (
            "sale",
            "GB-CUSTOMERS",
            "GB-STORE",
            {},
            "a sale cannot take copies from Sold by Britain (GB-CUSTOMERS), a customers location; "
            "it takes them from event table, section store or warehouse.",
        ),
        (
            "transfer",
            "GB-WRITTEN-OFF",
            "GB-STORE",
            {},
            "a transfer cannot take copies from Written off by Britain (GB-WRITTEN-OFF)",
        ),
        ("transfer", "GB-TRANSIT", "GB-STORE", {}, "a transfer cannot take copies from"),
        ("print_run", "PRINTER", "GB-CUSTOMERS", {}, "a print run cannot put copies in"),
        (
            "sale",
            "GB-STORE",
            "SE-CUSTOMERS",
            {},
            "Sold by Sweden (SE-CUSTOMERS) belongs to "
            "section Sweden; it cannot deal with Britain store (GB-STORE) of section Britain.",
        ),
        ("receipt", "SE-TRANSIT", "GB-STORE", {}, "can only be received by section Sweden"),
        (
            "signing",
            "GB-EV",
            "GB-STORE",
            {"to_condition": "signed"},
            "a signing stays at one location",
        ),
        (
            "signing",
            "GB-EV",
            "GB-EV",
            {"condition": "signed", "to_condition": "unsigned"},
            "a signing turns unsigned copies into signed ones.",
        ),
        (
            "transfer",
            "GB-STORE",
            "GB-EV",
            {"to_condition": "signed"},
            "a transfer keeps the condition of the copies; only a signing changes it.",
        ),
    ],
)
def test_moves_that_break_the_rules_of_their_kind(
    world: World, session, kind, src, dst, extra, message
):
    world.stocked(10)
    world.post("transfer", 5, "GB-STORE", "GB-EV")
    world.post("sale", 2, "GB-STORE", "GB-CUSTOMERS")
    before = snapshot(session)
    with pytest.raises(InvalidMove) as error:
        world.post(kind, 1, src, dst, **extra)
    assert message in str(error.value)
    assert snapshot(session) == before


def test_a_closed_location_takes_no_moves(world: World, session):
    world.stocked(10)
    world.post("transfer", 5, "GB-STORE", "GB-EV")
    world.loc("GB-EV").active = False
    with pytest.raises(InvalidMove, match=r"London launch \(GB-EV\) is closed"):
        world.post("sale", 1, "GB-EV", "GB-CUSTOMERS")


def test_reversal_is_an_opposite_move_linked_to_the_original(world: World, session):
    world.stocked(10)
    sale = world.post("sale", 3, "GB-STORE", "GB-CUSTOMERS")
    (move_id,) = session.scalars(select(Move.id).where(Move.document_id == sale.id)).all()
    document = reverse_moves(session, [move_id], note="sold by mistake")
    (reversal,) = session.scalars(select(Move).where(Move.document_id == document.id)).all()
    assert reversal.reverses_id == move_id and reversal.kind == "reversal"
    assert reversal.from_location.code == "GB-CUSTOMERS" and reversal.to_location.code == "GB-STORE"
    assert reversal.qty == 3 and reversal.note == "sold by mistake"
    assert world.stock("GB-STORE") == 10 and world.stock("GB-CUSTOMERS") == 0
    assert ledger.check(session) == []

    before = snapshot(session)
    with pytest.raises(AlreadyReversed, match=f"Move {move_id} was already reversed"):
        reverse_moves(session, [move_id])
    with pytest.raises(InvalidMove, match="is itself a reversal"):
        reverse_moves(session, [reversal.id])
    with pytest.raises(NotFound, match="No move 424242"):
        reverse_moves(session, [424242])
    assert snapshot(session) == before


def test_a_reversal_cannot_take_back_copies_that_moved_on(world: World, session):
    world.stocked(10)
    transfer = world.post("transfer", 5, "GB-STORE", "GB-EV")
    world.post("sale", 4, "GB-EV", "GB-CUSTOMERS")
    (move_id,) = session.scalars(select(Move.id).where(Move.document_id == transfer.id)).all()
    before = snapshot(session)
    with pytest.raises(InsufficientStock, match="1 copy there, 5 asked"):
        reverse_moves(session, [move_id])
    assert snapshot(session) == before


def test_check_finds_a_balance_that_disagrees_with_the_moves(world: World, session):
    world.stocked(10)
    store = world.loc("GB-STORE")
    session.execute(
        text("UPDATE balances SET qty = qty + 2 WHERE location_id = :l"), {"l": store.id}
    )
    (problem,) = ledger.check(session)
    assert (problem.from_moves, problem.in_balances) == (10, 12)
    assert "Britain store (GB-STORE)" in str(problem) and "unsigned" in str(problem)


def test_the_database_refuses_to_change_or_delete_moves(world: World, session):
    world.stocked(3)
    move_id = session.scalar(select(Move.id).limit(1))
    for statement in (
        "UPDATE moves SET qty = 99 WHERE id = :id",
        "DELETE FROM moves WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="moves are immutable"), session.begin_nested():
            session.execute(text(statement), {"id": move_id})
    assert session.get(Move, move_id).qty == 3


def test_the_database_refuses_a_negative_physical_balance(world: World, session):
    world.stocked(3)
    store = world.loc("GB-STORE")
    with pytest.raises(IntegrityError, match="not_negative"), session.begin_nested():
        session.execute(
            text("UPDATE balances SET qty = -1 WHERE location_id = :l"), {"l": store.id}
        )
    # A source may go below zero: copies come from it into the world.
    assert world.stock("PRINTER") == -3


def test_a_refused_posting_leaves_no_document(world: World, session):
    world.stocked(1)
    documents = len(session.scalars(select(Document)).all())
    with pytest.raises(InsufficientStock):
        world.post("sale", 2, "GB-STORE", "GB-CUSTOMERS")
    assert len(session.scalars(select(Document)).all()) == documents


def test_the_ledger_module_does_not_import_flask():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(ledger))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names
            if isinstance(node, ast.Import)
            else [type("A", (), {"name": node.module or ""})]
        )
    }
    assert "flask" not in imported


def _postings(world: World, session, moments, qty: int) -> list[ledger.Posting]:
    postings = []
    for at in moments:
        document = Document(kind="sale", occurred_at=at)
        session.add(document)
        session.flush()
        postings.append(
            ledger.Posting(document, [world.line("sale", qty, "GB-STORE", "GB-CUSTOMERS")], at)
        )
    return postings


def test_postings_made_together_write_what_each_would(world: World, session):
    world.stocked(10)
    now = utcnow()
    moments = [now - timedelta(minutes=m) for m in (30, 20, 10)]
    ids = ledger.post_together(session, _postings(world, session, moments, 3))
    assert [len(i) for i in ids] == [1, 1, 1]
    moves = {m.id: m for m in session.scalars(select(Move))}
    # Each posting's move is its own: its document, its moment.
    for posting_ids, at in zip(ids, moments, strict=True):
        assert moves[posting_ids[0]].occurred_at == at
    assert world.stock("GB-STORE") == 1 and world.stock("GB-CUSTOMERS") == 9
    assert ledger.check(session) == []


def test_postings_that_cannot_all_go_together_write_nothing(world: World, session):
    world.stocked(10)
    now = utcnow()
    postings = _postings(world, session, [now - timedelta(minutes=m) for m in (30, 20)], 6)
    before = snapshot(session)
    with pytest.raises(ledger.PostApart), session.begin_nested():
        ledger.post_together(session, postings)
    assert snapshot(session) == before
    # At one moment, they are refused as one posting of all their copies would be.
    postings = _postings(world, session, [now, now], 6)
    with (
        pytest.raises(InsufficientStock, match="10 copies there, 12 asked"),
        session.begin_nested(),
    ):
        ledger.post_together(session, postings)
