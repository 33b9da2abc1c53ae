"""The words of distribution: a shipment's states and directions, why copies are
damaged, missing or written off; and the state machine a shipment follows::

    draft --dispatch--> dispatched --receive--> partly received --receive--> received
      |                      `------------------------receive------------------^
      `--cancel--> cancelled
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from tracker.domain.accounts import Actor, Role, is_staff
from tracker.domain.errors import DomainError
from tracker.domain.text import Words, join_or
from tracker.domain.words import day, say, say_mark


class ShipmentStatus(Words):
    DRAFT = "draft"
    DISPATCHED = "dispatched"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class Direction(StrEnum):
    OUTBOUND = "outbound"  # warehouse -> a section's store
    RETURN = "return"  # a section's store -> warehouse (unsold sale-or-return copies)


class DiscrepancyReason(Words):
    DAMAGED = "damaged_in_transit"
    MISSING = "missing"
    CUSTOMS = "held_by_customs"
    OTHER = "other"


class WriteOffReason(Words):
    DAMAGED = "damaged"
    LOST = "lost"
    GIFT = "gift"
    REVIEW_COPY = "review_copy"


# The labels of the Words enums here, for the catalogues (``Words.label`` says them).
_LABELS = (
    say_mark("draft"),
    say_mark("dispatched"),
    say_mark("partly received"),
    say_mark("received"),
    say_mark("cancelled"),
    say_mark("damaged in transit"),
    say_mark("missing"),
    say_mark("held by customs"),
    say_mark("other"),
    say_mark("damaged"),
    say_mark("lost"),
    say_mark("gift"),
    say_mark("review copy"),
)


class WrongState(DomainError):
    """A shipment not in the state an action needs (a dispatched one dispatched again)."""

    status_code = 409
    problem_type = "wrong-state"


# What each action needs the shipment to be.
CAN = {
    "edited": frozenset({ShipmentStatus.DRAFT}),
    "dispatched": frozenset({ShipmentStatus.DRAFT}),
    "cancelled": frozenset({ShipmentStatus.DRAFT}),
    "received": frozenset({ShipmentStatus.DISPATCHED, ShipmentStatus.PARTLY_RECEIVED}),
}
# Shipments whose copies are on their way: dispatched and not all accounted for.
IN_TRANSIT = CAN["received"]

# What the shipment is and what it would have to be, by action.
_WRONG_STATE = {
    "edited": say_mark(
        "Shipment #%(id)s is %(status)s: only a shipment that is %(allowed)s can be edited."
    ),
    "dispatched": say_mark(
        "Shipment #%(id)s is %(status)s: only a shipment that is %(allowed)s can be dispatched."
    ),
    "cancelled": say_mark(
        "Shipment #%(id)s is %(status)s: only a shipment that is %(allowed)s can be cancelled."
    ),
    "received": say_mark(
        "Shipment #%(id)s is %(status)s: only a shipment that is %(allowed)s can be received."
    ),
}


def check_state(
    shipment_id: int, status: str, wanted: Collection[ShipmentStatus], action: str
) -> None:
    """WrongState, saying what the shipment is, unless it is in one of ``wanted``."""
    if ShipmentStatus(status) not in wanted:
        values = {
            "id": shipment_id,
            "status": ShipmentStatus(status).label,
            "allowed": join_or(sorted(s.label for s in wanted)),
        }
        message = _WRONG_STATE.get(action)
        raise WrongState(
            say(message, **values)
            if message
            else say(
                "Shipment #%(id)s is %(status)s: only a shipment that is %(allowed)s can be "
                "%(action)s.",
                action=action,
                **values,
            )
        )


def may_manage(actor: Actor | None, direction: str) -> bool:
    """Draft, edit, dispatch, cancel: staff for everything; a treasurer for the returns of
    their section."""
    return is_staff(actor) or (
        direction == Direction.RETURN and actor is not None and actor.role == Role.TREASURER
    )


def may_receive(actor: Actor | None, direction: str) -> bool:
    """Staff receive anything; a treasurer receives what comes to their section."""
    return is_staff(actor) or (
        direction == Direction.OUTBOUND and actor is not None and actor.role == Role.TREASURER
    )


class Trip(Protocol):
    """A shipment on its way, as the rules see it."""

    @property
    def status(self) -> str: ...

    @property
    def dispatched_at(self) -> datetime | None: ...

    @property
    def received_at(self) -> datetime | None: ...

    @property
    def expected_on(self) -> date | None: ...


def days_in_transit(trip: Trip, today: date) -> int | None:
    """Days from the dispatch to the last receipt (or today, while still on its way)."""
    if trip.dispatched_at is None:
        return None
    end = trip.received_at.date() if trip.received_at else today
    return (end - trip.dispatched_at.date()).days


def is_overdue(trip: Trip, today: date) -> bool:
    """Still on its way after the day it was expected."""
    return trip.status in IN_TRANSIT and trip.expected_on is not None and trip.expected_on < today


def received_at(
    shipment_id: int, dispatched_at: datetime | None, at: datetime, day_only: bool
) -> datetime:
    """When the copies arrived: never before they left. A receipt dated by its day only
    (``day_only``), on the day of the dispatch, is dated at the dispatch."""
    if dispatched_at is None or at >= dispatched_at:
        return at
    if day_only and at.date() == dispatched_at.date():
        return dispatched_at
    raise DomainError(
        say(
            "Shipment #%(id)s was dispatched on %(dispatched)s: it cannot have been received "
            "before that, on %(received)s.",
            id=shipment_id,
            dispatched=day(dispatched_at),
            received=day(at),
        )
    )
