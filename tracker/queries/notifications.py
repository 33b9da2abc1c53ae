"""Who gets which mail, what each person switched, and the figures of the weekly digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, joinedload

from tracker.domain.accounts import Role
from tracker.domain.figures import Alert
from tracker.domain.notifications import NotificationKind, kinds_for
from tracker.domain.periods import Period, week_start
from tracker.models import NotificationSetting, User
from tracker.queries import dashboard


def recipients(
    session: Session, kind: NotificationKind, section_id: int | None = None
) -> list[User]:
    """The people a mail of ``kind`` goes to: active accounts of the kind's role (for a
    treasurer, of ``section_id``) who have not switched it off."""
    switched_off = exists().where(
        NotificationSetting.user_id == User.id,
        NotificationSetting.kind == kind.value,
        NotificationSetting.enabled.is_(False),
    )
    query = (
        select(User)
        .where(User.active.is_(True), User.role == kind.role.value, ~switched_off)
        .options(joinedload(User.section))
        .order_by(User.id)
    )
    if kind.role == Role.TREASURER:
        query = query.where(User.section_id == section_id)
    return list(session.scalars(query))


def switches(session: Session, user: User) -> dict[NotificationKind, bool]:
    """Each kind of mail the person's role may get, and whether it is on for them."""
    kinds = kinds_for(user.role)
    chosen = {
        kind: enabled
        for kind, enabled in session.execute(
            select(NotificationSetting.kind, NotificationSetting.enabled).where(
                NotificationSetting.user_id == user.id
            )
        )
    }
    return {kind: chosen.get(kind.value, True) for kind in kinds}


def digest_week(today: date) -> Period:
    """The week a digest sent on ``today`` covers: the last whole week before it."""
    monday = week_start(today) - timedelta(weeks=1)
    return Period(monday, monday + timedelta(days=6))


@dataclass
class CountrySales:
    name: str
    sold: int
    sold_signed: int


@dataclass
class Digest:
    """What a coordinator reads on Monday, from the dashboard's own figures."""

    week: Period
    # Sections below their thresholds of weeks of cover or copies on hand.
    low_stock: list[Alert]
    overdue: list[Alert]
    # Open events in the next two weeks that no copies were sent to.
    events: list[Alert]
    sales: list[CountrySales]

    @property
    def sold(self) -> int:
        return sum(country.sold for country in self.sales)

    @property
    def empty(self) -> bool:
        return not (self.low_stock or self.overdue or self.events or self.sold)


def weekly_digest(session: Session, today: date, publisher_currency: str) -> Digest:
    """The digest for the week before ``today``'s: the dashboard of that week (its
    alerts say what they say in the reader's language: build it in the recipient's)."""
    week = digest_week(today)
    board = dashboard.build(
        session, period=week, today=today, publisher_currency=publisher_currency
    )

    def of_kind(*kinds: str) -> list[Alert]:
        return [alert for alert in board.alerts if alert.kind in kinds]

    return Digest(
        week=week,
        low_stock=of_kind("low_cover", "low_stock"),
        overdue=of_kind("overdue_shipment"),
        events=of_kind("event_without_stock"),
        sales=[
            CountrySales(row.name, row.figures.sold, row.figures.sold_signed) for row in board.rows
        ],
    )
