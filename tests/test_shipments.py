"""Shipments: drafts, dispatch, receipts with discrepancies, returns, the state machine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import World, snapshot
from tracker import ledger
from tracker.domain.accounts import Role
from tracker.domain.distribution import ShipmentStatus
from tracker.domain.errors import DomainError, InsufficientStock, NotFound
from tracker.models import Receipt, Section, Shipment
from tracker.services import receipts as receipts_service
from tracker.services import shipments
from tracker.services.documents import AlreadySubmitted, new_key
from tracker.services.receipts import ReceiptInput
from tracker.services.shipments import LineInput, WrongState

S = ShipmentStatus


@pytest.fixture
def staff(make_user):
    return make_user(Role.DISTRIBUTOR)


def _section(session, name: str) -> Section:
    return session.scalar(select(Section).where(Section.name == name))


def _draft(
    world: World,
    session,
    staff,
    qty: int = 10,
    *,
    section: str = "Britain",
    terms: str = "firm_sale",
    key: str | None = None,
) -> Shipment:
    return shipments.create(
        session,
        staff,
        direction="outbound",
        section_id=_section(session, section).id,
        terms=terms,
        carrier="Royal Mail",
        tracking_number="RM123",
        lines=[LineInput(world.edition.id, qty, "12.50")],
        key=key,
    )


def _printed(world: World, copies: int = 100) -> None:
    world.printed(copies)


def test_a_shipment_from_draft_to_received(world: World, session, staff, make_user):
    _printed(world)
    shipment = _draft(world, session, staff, 40)
    assert shipment.status == S.DRAFT and shipment.currency == "GBP"
    assert shipment.total_minor == 40 * 1250
    assert world.stock("WH") == 100  # a draft moves nothing

    shipments.update_draft(
        session,
        staff,
        shipment.id,
        lines=[
            LineInput(world.edition.id, 30, Decimal("12.00")),
            LineInput(world.edition_es.id, 0 + 1, "14.00"),
        ],
    )
    _printed_es = world.printed(5, edition=world.edition_es)
    assert _printed_es
    assert [(line.edition_id, line.qty, line.unit_price_minor) for line in shipment.lines] == [
        (world.edition.id, 30, 1200),
        (world.edition_es.id, 1, 1400),
    ]

    shipments.dispatch(session, staff, shipment.id)
    assert shipment.status == S.DISPATCHED and shipment.dispatched_by_id == staff.id
    assert world.stock("WH") == 70 and world.stock("GB-TRANSIT") == 30

    treasurer = make_user(Role.TREASURER, "GB")
    en, es = shipment.lines
    receipt = receipts_service.receive(
        session,
        treasurer,
        shipment.id,
        [
            ReceiptInput(en.id, received=20, damaged=2, missing=1, reason="damaged_in_transit"),
        ],
    )
    assert shipment.status == S.PARTLY_RECEIVED
    assert (en.received_qty, en.damaged_qty, en.missing_qty, en.outstanding) == (20, 2, 1, 7)
    assert world.stock("GB-STORE") == 20 and world.stock("GB-WRITTEN-OFF") == 3
    assert world.stock("GB-TRANSIT") == 7
    assert receipt.document.created_by_id == treasurer.id

    receipts_service.receive(
        session,
        treasurer,
        shipment.id,
        [
            ReceiptInput(en.id, received=5, missing=2, reason="other", note="never found"),
            ReceiptInput(es.id, received=1),
        ],
    )
    assert shipment.status == S.RECEIVED and shipment.received_at is not None
    assert world.stock("GB-STORE") == 25 and world.stock("GB-WRITTEN-OFF") == 5
    assert world.stock("GB-TRANSIT") == 0
    assert (
        len(session.scalars(select(Receipt).where(Receipt.shipment_id == shipment.id)).all()) == 2
    )
    assert ledger.check(session) == []


def test_dispatch_without_enough_stock_moves_nothing(world: World, session, staff):
    _printed(world, 5)
    shipment = _draft(world, session, staff, 8)
    before = snapshot(session)
    with pytest.raises(InsufficientStock, match="5 copies there, 8 asked"):
        shipments.dispatch(session, staff, shipment.id)
    assert snapshot(session) == before
    session.refresh(shipment)
    assert shipment.status == S.DRAFT and shipment.dispatched_at is None


ACTIONS = {
    "edit": lambda s, a, sh, w: shipments.update_draft(
        s, a, sh.id, lines=[LineInput(w.edition.id, 5, "1.00")]
    ),
    "dispatch": lambda s, a, sh, w: shipments.dispatch(s, a, sh.id),
    "cancel": lambda s, a, sh, w: shipments.cancel(s, a, sh.id),
    "receive": lambda s, a, sh, w: receipts_service.receive(
        s, a, sh.id, [ReceiptInput(sh.lines[0].id, received=1)]
    ),
}
ALLOWED = {
    S.DRAFT: {"edit", "dispatch", "cancel"},
    S.DISPATCHED: {"receive"},
    S.PARTLY_RECEIVED: {"receive"},
    S.RECEIVED: set(),
    S.CANCELLED: set(),
}


def _in_state(world: World, session, staff, state: ShipmentStatus) -> Shipment:
    shipment = _draft(world, session, staff, 10)
    if state == S.CANCELLED:
        shipments.cancel(session, staff, shipment.id)
    if state in (S.DISPATCHED, S.PARTLY_RECEIVED, S.RECEIVED):
        shipments.dispatch(session, staff, shipment.id)
    if state == S.PARTLY_RECEIVED:
        receipts_service.receive(
            session, staff, shipment.id, [ReceiptInput(shipment.lines[0].id, received=4)]
        )
    if state == S.RECEIVED:
        receipts_service.receive(
            session, staff, shipment.id, [ReceiptInput(shipment.lines[0].id, received=10)]
        )
    assert shipment.status == state
    return shipment


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_from_every_state(world: World, session, staff, state, action):
    _printed(world)
    shipment = _in_state(world, session, staff, state)
    before = snapshot(session)
    if action in ALLOWED[state]:
        ACTIONS[action](session, staff, shipment, world)
        assert ledger.check(session) == []
        return
    with pytest.raises(WrongState) as refused:
        ACTIONS[action](session, staff, shipment, world)
    verb = {
        "edit": "edited",
        "dispatch": "dispatched",
        "cancel": "cancelled",
        "receive": "received",
    }[action]
    assert str(refused.value).startswith(
        f"Shipment #{shipment.id} is {state.label}: only a shipment that is"
    )
    assert str(refused.value).endswith(f"can be {verb}.")
    assert snapshot(session) == before
    session.refresh(shipment)
    assert shipment.status == state


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "A shipment needs at least one line"),
        ([(0, "1.00")], "the quantity must be at least 1, not 0."),
        ([(-4, "1.00")], "not -4"),
        ([(1_000_001, "1.00")], "1000001 copies in one move is more than 1,000,000."),
        ([(3, "-1")], "the price per copy cannot be negative"),
        ([(3, "1.234")], "1.234 GBP has more decimals than GBP allows (2)."),
        ([(3, "abc")], "'abc' is not an amount of money."),
        ([(3, "1"), (2, "1")], "is on two lines"),
    ],
)
def test_bad_lines_make_no_shipment(world: World, session, staff, lines, message):
    gb = _section(session, "Britain")
    before = snapshot(session)
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        shipments.create(
            session,
            staff,
            direction="outbound",
            section_id=gb.id,
            lines=[LineInput(world.edition.id, qty, price) for qty, price in lines],
        )
    assert snapshot(session) == before
    assert session.scalars(select(Shipment)).all() == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"received": 11},
            "11 counted, but only 10 copies of the 10 sent are still to be accounted for.",
        ),
        ({"received": 5, "damaged": 6, "reason": "damaged_in_transit"}, "11 counted"),
        ({"damaged": 1}, "say why copies are damaged or missing"),
        ({"missing": 1, "reason": "other"}, "'other' needs a note saying what happened."),
        ({"received": -1}, "copies received must be a whole number, 0 or more."),
        ({}, "Nothing to receive"),
    ],
)
def test_bad_receipts_change_nothing(world: World, session, staff, entry, message):
    _printed(world)
    shipment = _draft(world, session, staff, 10)
    shipments.dispatch(session, staff, shipment.id)
    before = snapshot(session)
    with pytest.raises(DomainError, match=message.replace("(", r"\(")):
        receipts_service.receive(
            session, staff, shipment.id, [ReceiptInput(shipment.lines[0].id, **entry)]
        )
    assert snapshot(session) == before
    session.refresh(shipment.lines[0])
    assert shipment.lines[0].outstanding == 10 and shipment.status == S.DISPATCHED


def test_cancel_a_draft(world: World, session, staff):
    shipment = _draft(world, session, staff, 10)
    shipments.cancel(session, staff, shipment.id)
    assert shipment.status == S.CANCELLED and shipment.cancelled_at is not None


def test_who_may_do_what(world: World, session, staff, make_user):
    _printed(world)
    gb = make_user(Role.TREASURER, "GB")
    se = make_user(Role.TREASURER, "SE")
    coordinator = make_user(Role.COORDINATOR)
    with pytest.raises(DomainError, match="Only distribution staff send shipments"):
        shipments.create(
            session,
            gb,
            direction="outbound",
            section_id=_section(session, "Britain").id,
            lines=[LineInput(world.edition.id, 1, "1")],
        )
    shipment = _draft(world, session, staff, 10)
    for actor in (gb, coordinator):
        with pytest.raises(DomainError, match="Only distribution staff dispatch"):
            shipments.dispatch(session, actor, shipment.id)
    with pytest.raises(NotFound, match=f"There is no shipment #{shipment.id}."):
        shipments.get(session, se, shipment.id)
    shipments.dispatch(session, staff, shipment.id)
    with pytest.raises(NotFound):
        receipts_service.receive(session, se, shipment.id, [ReceiptInput(shipment.lines[0].id, 1)])
    with pytest.raises(DomainError, match="Only distribution staff receive"):
        receipts_service.receive(
            session, coordinator, shipment.id, [ReceiptInput(shipment.lines[0].id, 1)]
        )
    receipts_service.receive(session, gb, shipment.id, [ReceiptInput(shipment.lines[0].id, 10)])
    assert world.stock("GB-STORE") == 10


def test_returns_send_back_unsold_sale_or_return_copies(world: World, session, staff, make_user):
    _printed(world)
    treasurer = make_user(Role.TREASURER, "GB")
    firm = _draft(world, session, staff, 10, terms="firm_sale")
    sor = _draft(world, session, staff, 6, terms="sale_or_return")
    for s in (firm, sor):
        shipments.dispatch(session, staff, s.id)
        receipts_service.receive(
            session, staff, s.id, [ReceiptInput(s.lines[0].id, s.lines[0].qty)]
        )
    gb = _section(session, "Britain")
    assert shipments.returnable(session, gb.id, world.edition.id) == 6
    with pytest.raises(DomainError, match="can send back 6 copies on sale or return, not 7"):
        shipments.create(
            session,
            treasurer,
            direction="return",
            section_id=gb.id,
            lines=[LineInput(world.edition.id, 7, "12.50")],
        )
    back = shipments.create(
        session,
        treasurer,
        direction="return",
        section_id=gb.id,
        lines=[LineInput(world.edition.id, 4, "12.50")],
    )
    assert back.terms == "sale_or_return" and back.to_location.code == "WH"
    assert shipments.returnable(session, gb.id, world.edition.id) == 2
    shipments.dispatch(session, treasurer, back.id)
    assert world.stock("GB-STORE") == 12 and world.stock("WH-TRANSIT") == 4
    with pytest.raises(DomainError, match="Only distribution staff receive returns"):
        receipts_service.receive(session, treasurer, back.id, [ReceiptInput(back.lines[0].id, 4)])
    receipts_service.receive(
        session,
        staff,
        back.id,
        [ReceiptInput(back.lines[0].id, 3, damaged=1, reason="damaged_in_transit")],
    )
    assert world.stock("WH") == 100 - 16 + 3 and world.stock("WH-WRITTEN-OFF") == 1
    assert back.status == S.RECEIVED
    assert ledger.check(session) == []


def test_a_form_sent_twice_makes_one_shipment(world: World, session, staff):
    key = new_key()
    first = _draft(world, session, staff, 10, key=key)
    with pytest.raises(AlreadySubmitted) as again:
        _draft(world, session, staff, 10, key=key)
    assert again.value.document_id == first.id
    assert len(session.scalars(select(Shipment)).all()) == 1
    with pytest.raises(DomainError, match="This form is damaged or out of date"):
        _draft(world, session, staff, 10, key="not-a-key")


def test_overdue_and_days_in_transit(world: World, session, staff):
    from datetime import date, timedelta

    _printed(world)
    shipment = _draft(world, session, staff, 10)
    shipment.expected_on = date.today() - timedelta(days=1)
    today = date.today()
    assert not shipment.is_overdue(today)  # a draft is not in transit
    shipments.dispatch(session, staff, shipment.id, when=today - timedelta(days=3))
    assert shipment.days_in_transit(today) == 3
    assert shipment.is_overdue(today)
    receipts_service.receive(session, staff, shipment.id, [ReceiptInput(shipment.lines[0].id, 10)])
    assert not shipment.is_overdue(today)
