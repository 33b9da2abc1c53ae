"""Rules that lived in two places and disagreed now live in one: what a section may
send back is what its statement does not owe; a keyed service that refuses leaves the
session as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import World
from tracker.domain.errors import DomainError
from tracker.models import Document, Section
from tracker.queries.statements import section_statement
from tracker.services import documents, movements, receipts, sales, shipments
from tracker.services.shipments import LineInput


def test_a_readers_return_counts_alike_in_the_statement_and_in_returns(session, world: World):
    """10 sale-or-return copies received, 5 sold, 2 brought back by a reader: the
    statement owes for 3 sold, and 7 may go back (returns counted 5 sold before)."""
    gb = session.scalar(select(Section).where(Section.name == "Britain"))
    world.printed(10)
    outbound = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb.id,
        terms="sale_or_return",
        lines=[LineInput(world.edition.id, 10, "10.00")],
    )
    shipments.dispatch(session, None, outbound.id)
    receipts.receive(
        session, None, outbound.id, [receipts.ReceiptInput(outbound.lines[0].id, received=10)]
    )
    store = world.loc("GB-STORE").id
    sales.sell(
        session,
        None,
        location_id=store,
        items=[sales.SaleItem(world.edition.id, 5)],
        payment_method="cash",
    )
    world.post("customer_return", 2, "GB-CUSTOMERS", "GB-STORE")

    (line,) = section_statement(session, gb.id).editions
    assert line.sold == 3 and line.owed_sor_minor == 3 * 1000
    assert shipments.returnable(session, gb.id, world.edition.id) == 7
    back = shipments.create(
        session,
        None,
        direction="return",
        section_id=gb.id,
        lines=[LineInput(world.edition.id, 7)],
    )
    assert back.lines[0].qty == 7
    with pytest.raises(DomainError, match="can send back 0 copies"):
        shipments.create(
            session,
            None,
            direction="return",
            section_id=gb.id,
            lines=[LineInput(world.edition.id, 1)],
        )


def test_a_keyed_service_that_refuses_leaves_no_document_in_the_session(session, world: World):
    """After a keyed service fails and its savepoint rolls back, the document it started
    is gone from the session too, and the next keyed service on that session works."""
    key = documents.new_key()
    with pytest.raises(DomainError, match="Give a number of copies"):
        movements.transfer(
            session,
            None,
            from_location_id=world.loc("GB-STORE").id,
            to_location_id=world.loc("GB-EV").id,
            lines=[],
            key=key,
        )
    assert session.scalar(select(Document.id).where(Document.submission_key == key)) is None
    assert not [d for d in session.identity_map.values() if isinstance(d, Document)]
    world.stocked(10)
    done = movements.transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=world.loc("GB-EV").id,
        lines=[movements.Copies(world.edition.id, 3)],
        key=documents.new_key(),
    )
    assert session.get(Document, done.document_id) is not None
