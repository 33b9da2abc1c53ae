"""The mails that tell people what needs them: their kinds, who may get each, and the
keys that make a mail go once.

Each kind goes to one role (a treasurer's only about their own section). Every kind is
on until the person switches it off in their account.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from tracker.domain.accounts import Role
from tracker.domain.words import say, say_mark


class NotificationKind(StrEnum):
    # To a section's treasurers: a shipment to them has left the warehouse.
    SHIPMENT_DISPATCHED = "shipment_dispatched"
    # To a section's treasurers: a shipment to them is past its expected day.
    SHIPMENT_OVERDUE = "shipment_overdue"
    # To distribution staff: a receipt counted damaged or missing copies.
    RECEIPT_DISCREPANCY = "receipt_discrepancy"
    # To coordinators, once a week: alerts, overdue shipments, events, sales.
    WEEKLY_DIGEST = "weekly_digest"

    @property
    def role(self) -> Role:
        return _ROLES[self]

    @property
    def caption(self) -> str:
        """Its name, as the account page shows it by its switch."""
        return say(_TITLES[self])

    @property
    def description(self) -> str:
        """What the mail is about, as the account page lists it."""
        return say(_DESCRIPTIONS[self])


_ROLES = {
    NotificationKind.SHIPMENT_DISPATCHED: Role.TREASURER,
    NotificationKind.SHIPMENT_OVERDUE: Role.TREASURER,
    NotificationKind.RECEIPT_DISCREPANCY: Role.DISTRIBUTOR,
    NotificationKind.WEEKLY_DIGEST: Role.COORDINATOR,
}

_TITLES = {
    NotificationKind.SHIPMENT_DISPATCHED: say_mark("Shipments dispatched to my section"),
    NotificationKind.SHIPMENT_OVERDUE: say_mark("Overdue shipments to my section"),
    NotificationKind.RECEIPT_DISCREPANCY: say_mark("Damaged or missing copies on receipt"),
    NotificationKind.WEEKLY_DIGEST: say_mark("The weekly digest"),
}

_DESCRIPTIONS = {
    NotificationKind.SHIPMENT_DISPATCHED: say_mark(
        "When a shipment to my section leaves the warehouse: what, how many, the "
        "carrier, tracking and expected arrival, with a link to receive it."
    ),
    NotificationKind.SHIPMENT_OVERDUE: say_mark(
        "When a shipment to my section is still on its way after its expected day (once "
        "per shipment)."
    ),
    NotificationKind.RECEIPT_DISCREPANCY: say_mark(
        "When a receipt counts damaged or missing copies."
    ),
    NotificationKind.WEEKLY_DIGEST: say_mark(
        "Once a week: sections low on cover or stock, overdue shipments, events in the "
        "next two weeks with no copies sent, and the week's sales by country."
    ),
}


def kinds_for(role: str) -> list[NotificationKind]:
    """The kinds of mail a person of ``role`` may get (and switch), in a fixed order."""
    return [kind for kind in NotificationKind if kind.role == role]


def weekly_key(user_id: int, week: date) -> str:
    """One digest per person per ISO week (the week it covers)."""
    year, number, _ = week.isocalendar()
    return f"{NotificationKind.WEEKLY_DIGEST}:{year}-W{number:02d}:{user_id}"


def overdue_key(user_id: int, shipment_id: int) -> str:
    """One overdue notice per shipment and person."""
    return f"{NotificationKind.SHIPMENT_OVERDUE}:{shipment_id}:{user_id}"


def dispatched_key(user_id: int, shipment_id: int) -> str:
    """A shipment is dispatched once; the key keeps it so."""
    return f"{NotificationKind.SHIPMENT_DISPATCHED}:{shipment_id}:{user_id}"


def discrepancy_key(user_id: int, receipt_id: int) -> str:
    return f"{NotificationKind.RECEIPT_DISCREPANCY}:{receipt_id}:{user_id}"
