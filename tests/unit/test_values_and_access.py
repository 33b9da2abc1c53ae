"""What the tracker takes from people, and who may see and do what, on plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from tracker.domain.accounts import Role, is_staff, may_see, require_section, section_fence
from tracker.domain.distribution import Direction, ShipmentStatus, may_manage, may_receive
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.text import clean
from tracker.domain.values import MAX_ID, day_problem, parse_id, parse_whole


@dataclass
class Person:
    id: int
    role: str
    section_id: int | None = None


ADMIN = Person(1, Role.ADMIN)
STAFF = Person(2, Role.DISTRIBUTOR)
TREASURER = Person(3, Role.TREASURER, 10)
COORDINATOR = Person(4, Role.COORDINATOR)


def test_a_treasurer_sees_only_their_section():
    assert section_fence(TREASURER) == 10 and section_fence(COORDINATOR) is None
    assert may_see(TREASURER, 10) and not may_see(TREASURER, 11)
    assert may_see(COORDINATOR, 11) and may_see(None, 11)
    with pytest.raises(NotFound, match="There is no sale 7."):
        require_section(TREASURER, 11, "There is no sale 7.")


def test_who_sends_and_receives_shipments():
    assert is_staff(None) and is_staff(STAFF) and not is_staff(TREASURER)
    assert may_manage(STAFF, Direction.OUTBOUND) and not may_manage(TREASURER, Direction.OUTBOUND)
    assert may_manage(TREASURER, Direction.RETURN) and not may_manage(COORDINATOR, Direction.RETURN)
    assert may_receive(TREASURER, Direction.OUTBOUND) and not may_receive(
        TREASURER, Direction.RETURN
    )
    assert ShipmentStatus.PARTLY_RECEIVED.label == "partly received"


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("1,000", 1000), ("12 000", 12000), ("1_000", None), ("١٢", None), ("1,5", None)],
)
def test_whole_numbers_are_ascii_digits(text, number):
    assert parse_whole(text) == number


def test_ids_are_within_the_database():
    assert parse_id("7") == 7 and parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(str(MAX_ID + 1)) is None and parse_id("0") is None and parse_id("x") is None


def test_days_within_reason():
    assert day_problem(date(2024, 1, 21)) is None
    assert "too long ago" in day_problem(date(1, 1, 1))
    assert "too far ahead" in day_problem(date(9999, 12, 31))


def test_texts_refuse_control_characters():
    assert clean("  a note ", "note") == "a note"
    assert clean("line one\nline two", "note", multiline=True) == "line one\nline two"
    with pytest.raises(DomainError, match=r"holds a control character \(U\+0000\)"):
        clean("a\x00b", "note")
    with pytest.raises(DomainError, match="is longer than 5 characters"):
        clean("abcdefg", "name", 5)
