"""The words of distribution: a shipment's states and directions, why copies are
damaged, missing or written off; and the state machine a shipment follows::

    draft --dispatch--> dispatched --receive--> partly received --receive--> received
      |                      `------------------------receive------------------^
      `--cancel--> cancelled
"""

from __future__ import annotations

from enum import StrEnum

from tracker.domain.errors import DomainError


class ShipmentStatus(StrEnum):
    DRAFT = "draft"
    DISPATCHED = "dispatched"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Direction(StrEnum):
    OUTBOUND = "outbound"  # warehouse -> a section's store
    RETURN = "return"  # a section's store -> warehouse (unsold sale-or-return copies)


class DiscrepancyReason(StrEnum):
    DAMAGED = "damaged_in_transit"
    MISSING = "missing"
    CUSTOMS = "held_by_customs"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class WriteOffReason(StrEnum):
    DAMAGED = "damaged"
    LOST = "lost"
    GIFT = "gift"
    REVIEW_COPY = "review_copy"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class WrongState(DomainError):
    status_code = 409


# What each action needs the shipment to be.
CAN = {
    "edited": frozenset({ShipmentStatus.DRAFT}),
    "dispatched": frozenset({ShipmentStatus.DRAFT}),
    "cancelled": frozenset({ShipmentStatus.DRAFT}),
    "received": frozenset({ShipmentStatus.DISPATCHED, ShipmentStatus.PARTLY_RECEIVED}),
}
# Shipments whose copies are on their way: dispatched and not all accounted for.
IN_TRANSIT = CAN["received"]


def check_state(
    shipment_id: int, status: str, wanted: frozenset[ShipmentStatus], action: str
) -> None:
    """WrongState, saying what the shipment is, unless it is in one of ``wanted``."""
    if ShipmentStatus(status) not in wanted:
        allowed = " or ".join(sorted(s.label for s in wanted))
        raise WrongState(
            f"Shipment #{shipment_id} is {ShipmentStatus(status).label}: only a shipment "
            f"that is {allowed} can be {action}."
        )
