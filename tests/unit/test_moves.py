"""The ledger's rules on plain values: which places each kind of move may take copies
from and put them to, conditions, owners, and what each move counts in the roll-up.
No database: places are plain objects."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.places import LocationKind as K
from tracker.domain.stock import (
    MAX_QTY,
    Condition,
    FlowMetric,
    MoveKind,
    back_to_problem,
    check_quantity,
    counted,
    flows_of,
    quantity_problem,
    rule_problem,
)


@dataclass
class Place:
    id: int
    kind: str
    section_id: int | None = None
    active: bool = True
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.name or self.kind} ({self.id})"

    @property
    def owner(self) -> str:
        return f"section {self.section_id}" if self.section_id else "the publisher"


PRINTER = Place(1, K.PRINTER)
WAREHOUSE = Place(2, K.WAREHOUSE, name="Warehouse")
GB_TRANSIT = Place(3, K.IN_TRANSIT, 10)
GB_STORE = Place(4, K.SECTION_STORE, 10, name="Britain store")
GB_TABLE = Place(5, K.EVENT_TABLE, 10)
GB_CUSTOMERS = Place(6, K.CUSTOMERS, 10)
GB_WRITTEN_OFF = Place(7, K.WRITTEN_OFF, 10)
SE_STORE = Place(8, K.SECTION_STORE, 20)
SE_CUSTOMERS = Place(9, K.CUSTOMERS, 20)
U, S = Condition.UNSIGNED, Condition.SIGNED


@pytest.mark.parametrize(
    ("kind", "source", "target"),
    [
        (MoveKind.PRINT_RUN, PRINTER, WAREHOUSE),
        (MoveKind.DISPATCH, WAREHOUSE, GB_TRANSIT),
        (MoveKind.RECEIPT, GB_TRANSIT, GB_STORE),
        (MoveKind.TRANSFER, GB_STORE, GB_TABLE),
        (MoveKind.TRANSFER, GB_STORE, SE_STORE),
        (MoveKind.SALE, GB_TABLE, GB_CUSTOMERS),
        (MoveKind.CUSTOMER_RETURN, GB_CUSTOMERS, GB_STORE),
        (MoveKind.WRITE_OFF, GB_STORE, GB_WRITTEN_OFF),
        (MoveKind.TRANSIT_LOSS, GB_TRANSIT, GB_WRITTEN_OFF),
    ],
)
def test_moves_the_rules_allow(kind, source, target):
    assert rule_problem(kind, source, U, target, U) is None


@pytest.mark.parametrize(
    ("kind", "source", "target", "message"),
    [
        (MoveKind.SALE, WAREHOUSE, GB_STORE, "a sale cannot put copies in Britain store (4)"),
        (MoveKind.PRINT_RUN, GB_STORE, WAREHOUSE, "a print run cannot take copies from"),
        (MoveKind.SALE, GB_STORE, SE_CUSTOMERS, "belongs to section 20; it cannot deal with"),
        (MoveKind.RECEIPT, GB_TRANSIT, SE_STORE, "can only be received by section 10"),
        (MoveKind.TRANSFER, GB_STORE, GB_STORE, "cannot move from Britain store (4) to itself"),
    ],
)
def test_moves_the_rules_refuse(kind, source, target, message):
    assert message in (rule_problem(kind, source, U, target, U) or "")


def test_a_closed_place_takes_no_moves():
    closed = Place(11, K.EVENT_TABLE, 10, active=False, name="Launch")
    assert "Launch (11) is closed" in rule_problem(MoveKind.TRANSFER, GB_STORE, U, closed, U)


def test_only_a_signing_changes_the_condition_and_stays_where_it_is():
    assert rule_problem(MoveKind.SIGNING, GB_TABLE, U, GB_TABLE, S) is None
    assert "stays at one location" in rule_problem(MoveKind.SIGNING, GB_TABLE, U, GB_STORE, S)
    assert "turns unsigned copies into signed" in rule_problem(
        MoveKind.SIGNING, GB_TABLE, S, GB_TABLE, U
    )
    assert "keeps the condition" in rule_problem(MoveKind.TRANSFER, GB_STORE, U, GB_TABLE, S)


def test_only_a_sale_goes_back_elsewhere_and_only_in_its_section():
    assert back_to_problem(1, MoveKind.SALE, GB_TABLE, GB_STORE) is None
    assert "is not a sale" in back_to_problem(1, MoveKind.TRANSFER, GB_TABLE, GB_STORE)
    assert "another section" in back_to_problem(1, MoveKind.SALE, GB_TABLE, SE_STORE)
    assert "not an open place" in back_to_problem(1, MoveKind.SALE, GB_TABLE, GB_CUSTOMERS)


@pytest.mark.parametrize(
    ("qty", "zero", "message"),
    [
        (0, False, "the quantity must be at least 1, not 0."),
        (-3, False, "the quantity must be at least 1, not -3."),
        ("3", False, "the quantity must be a whole number, not '3'."),
        (True, False, "the quantity must be a whole number, not True."),
        (MAX_QTY + 1, False, "1000001 copies in one move is more than 1,000,000."),
        (-1, True, "the quantity must be a whole number, 0 or more."),
        (0, True, None),
        (MAX_QTY, False, None),
    ],
)
def test_one_rule_for_every_number_of_copies(qty, zero, message):
    assert quantity_problem(qty, zero=zero) == message


def test_check_quantity_says_where():
    with pytest.raises(DomainError, match="^In Defence of Lenin: the quantity must be at least 1"):
        check_quantity(0, "In Defence of Lenin")
    assert check_quantity(5) == 5


def test_every_move_counts_what_two_places_hold():
    flows = flows_of(MoveKind.TRANSFER, 4, "unsigned", 5, "unsigned")
    assert (FlowMetric.HELD_UNSIGNED, 4, -1) in flows and (FlowMetric.HELD_UNSIGNED, 5, 1) in flows
    assert (FlowMetric.TRANSFERRED, 5, 1) in flows and (FlowMetric.TRANSFERRED, 4, -1) in flows


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (MoveKind.RECEIPT, [("received", 2, 1)]),
        (MoveKind.SALE, [("sold_unsigned", 2, 1)]),
        (MoveKind.CUSTOMER_RETURN, [("sold_unsigned", 1, -1)]),
        (MoveKind.WRITE_OFF, [("written_off", 2, 1)]),
        (MoveKind.TRANSIT_LOSS, [("lost_in_transit", 2, 1)]),
        (MoveKind.DISPATCH, [("dispatched", 1, 1)]),
        (MoveKind.STOCKTAKE_GAIN, [("counted", 2, 1)]),
        (MoveKind.STOCKTAKE_LOSS, [("counted", 1, -1)]),
    ],
)
def test_what_each_kind_of_move_counts(kind, expected):
    assert counted(kind, 1, "unsigned", 2, "unsigned") == expected


def test_a_reversal_counts_its_move_back():
    # A sale 4 -> 6 reversed: 6 -> 4, its sale counted back at the customers.
    assert counted(MoveKind.REVERSAL, 6, "unsigned", 4, "unsigned", MoveKind.SALE) == [
        ("sold_unsigned", 6, -1)
    ]
    assert counted(MoveKind.REVERSAL, 6, "unsigned", 4, "unsigned", None) == []
