"""Notifications: who is told of what, once, in their language; queued with the work that
causes it and never in its way. The mails themselves (rendered, sent, followed) are in
tests/web/test_notification_mails.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import GENERATED_END
from tests.factories import World
from tracker.domain.accounts import Role
from tracker.domain.distribution import Direction, ShipmentStatus
from tracker.domain.errors import DomainError
from tracker.domain.notifications import NotificationKind, kinds_for, weekly_key
from tracker.models import AuditEntry, NotificationSetting, Section, Shipment
from tracker.queries.distribution import overdue_shipments
from tracker.queries.notifications import digest_week, recipients, switches, weekly_digest
from tracker.services import alerts, notifications, receipts, shipments
from tracker.services.receipts import ReceiptInput
from tracker.services.shipments import LineInput

K = NotificationKind


@dataclass
class Outbox:
    """Stands in for the mail queue: what was queued, each key once."""

    mails: list[dict[str, Any]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    fail: bool = False

    def __call__(self, session, **message: Any) -> object | None:
        if self.fail:
            raise RuntimeError("the mail queue is broken")
        if message["key"] in self.keys:
            return None
        self.keys.add(message["key"])
        self.mails.append(message)
        return object()

    def to(self, *users) -> list[str]:
        return sorted(user.email for user in users)

    @property
    def recipients(self) -> list[str]:
        return sorted(mail["to"] for mail in self.mails)


@pytest.fixture
def outbox(app, monkeypatch) -> Outbox:
    box = Outbox()
    monkeypatch.setattr(notifications, "enqueue", box)
    with app.app_context():
        yield box


@pytest.fixture
def staff(make_user):
    return make_user(Role.DISTRIBUTOR)


def _section(session, name: str) -> Section:
    return session.scalar(select(Section).where(Section.name == name))


def _shipment(world: World, session, staff, *, section="Britain", expected=None) -> Shipment:
    world.printed(100)
    return shipments.create(
        session,
        staff,
        direction="outbound",
        section_id=_section(session, section).id,
        carrier="Royal Mail",
        tracking_number="RM123",
        expected_on=expected,
        lines=[LineInput(world.edition.id, 10, "12.50")],
    )


def test_each_kind_goes_to_one_role():
    assert kinds_for(Role.TREASURER) == [K.SHIPMENT_DISPATCHED, K.SHIPMENT_OVERDUE]
    assert kinds_for(Role.DISTRIBUTOR) == [K.RECEIPT_DISCREPANCY]
    assert kinds_for(Role.COORDINATOR) == [K.WEEKLY_DIGEST]
    assert kinds_for(Role.ADMIN) == []
    # One digest per person and ISO week.
    assert weekly_key(7, date(2026, 11, 23)) == "weekly_digest:2026-W48:7"
    assert weekly_key(7, date(2027, 1, 4)) == "weekly_digest:2027-W01:7"


def test_recipients_are_active_of_the_role_and_section_and_switched_on(
    world: World, session, make_user
):
    gb = _section(session, "Britain")
    ireland_like = make_user(Role.TREASURER, "GB")
    other = make_user(Role.TREASURER, "GB")
    make_user(Role.TREASURER, "SE")
    make_user(Role.COORDINATOR)
    gone = make_user(Role.TREASURER, "GB")
    gone.active = False
    notifications.save_switches(session, other, {K.SHIPMENT_DISPATCHED: False})
    assert recipients(session, K.SHIPMENT_DISPATCHED, gb.id) == [ireland_like]
    # Switched off one kind only: the other still comes.
    assert recipients(session, K.SHIPMENT_OVERDUE, gb.id) == [ireland_like, other]
    assert switches(session, other) == {K.SHIPMENT_DISPATCHED: False, K.SHIPMENT_OVERDUE: True}


def test_switches_are_saved_once_and_audited(world: World, session, make_user):
    coordinator = make_user(Role.COORDINATOR)
    notifications.save_switches(session, coordinator, {K.WEEKLY_DIGEST: True})
    # On is the default: nothing to write.
    assert session.scalars(select(NotificationSetting)).all() == []
    notifications.save_switches(session, coordinator, {K.WEEKLY_DIGEST: False})
    notifications.save_switches(session, coordinator, {K.WEEKLY_DIGEST: False})
    notifications.save_switches(session, coordinator, {K.WEEKLY_DIGEST: True})
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "notificationsetting")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.kind for e in entries] == [
        "notificationsetting.created",
        "notificationsetting.updated",
    ]
    assert entries[0].after["enabled"] is False and entries[1].after == {"enabled": True}
    with pytest.raises(DomainError, match="not a kind of mail you get"):
        notifications.save_switches(session, coordinator, {K.SHIPMENT_DISPATCHED: False})


def test_a_dispatch_tells_the_sections_treasurers(
    world: World, session, staff, make_user, outbox: Outbox
):
    gb = make_user(Role.TREASURER, "GB")
    quiet = make_user(Role.TREASURER, "GB")
    se = make_user(Role.TREASURER, "SE")
    notifications.save_switches(session, quiet, {K.SHIPMENT_DISPATCHED: False})
    shipment = _shipment(world, session, staff, expected=date(2030, 1, 10))
    assert outbox.mails == []  # a draft tells nobody
    shipments.dispatch(session, staff, shipment.id)
    assert outbox.recipients == outbox.to(gb)
    mail = outbox.mails[0]
    assert mail["kind"] == mail["template"] == "shipment_dispatched"
    assert mail["key"] == f"shipment_dispatched:{shipment.id}:{gb.id}"
    assert mail["language"] == "en"
    context = mail["context"]
    assert context["shipment_id"] == shipment.id and context["copies"] == 10
    assert context["carrier"] == "Royal Mail" and context["tracking_number"] == "RM123"
    assert context["expected_on"] == date(2030, 1, 10)
    assert context["total_minor"] == 12500 and context["currency"] == "GBP"
    assert context["lines"] == [{"edition": world.edition.label, "copies": 10, "in_transit": 10}]
    assert se.email not in outbox.recipients


def test_a_return_tells_no_treasurer(world: World, session, staff, make_user, outbox: Outbox):
    make_user(Role.TREASURER, "GB")
    shipment = _shipment(world, session, staff)
    shipment.terms = "sale_or_return"
    shipments.dispatch(session, staff, shipment.id)
    receipts.receive(session, staff, shipment.id, [ReceiptInput(shipment.lines[0].id, 10)])
    outbox.mails.clear()
    back = shipments.create(
        session,
        staff,
        direction="return",
        section_id=_section(session, "Britain").id,
        lines=[LineInput(world.edition.id, 2)],
    )
    shipments.dispatch(session, staff, back.id)
    assert back.direction == Direction.RETURN and outbox.mails == []


def test_a_swedish_treasurer_reads_in_swedish(
    world: World, session, staff, make_user, outbox: Outbox
):
    se = _section(session, "Sweden")
    se.language, se.time_zone = "sv", "Europe/Stockholm"
    reader = make_user(Role.TREASURER, "SE")
    chose = make_user(Role.TREASURER, "SE")
    chose.language = "de"
    shipment = _shipment(world, session, staff, section="Sweden")
    # Dispatched late in the evening in London: already the next day in Stockholm.
    shipments.dispatch(session, staff, shipment.id, when=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    by_address = {mail["to"]: mail for mail in outbox.mails}
    assert by_address[reader.email]["language"] == "sv"
    assert by_address[chose.email]["language"] == "de"
    assert by_address[reader.email]["context"]["dispatched_on"] == date(2026, 3, 2)


def test_damaged_or_missing_copies_tell_distribution_staff(
    world: World, session, staff, make_user, outbox: Outbox
):
    colleague = make_user(Role.DISTRIBUTOR)
    treasurer = make_user(Role.TREASURER, "GB")
    make_user(Role.COORDINATOR)
    shipment = _shipment(world, session, staff)
    shipments.dispatch(session, staff, shipment.id)
    outbox.mails.clear()
    line = shipment.lines[0].id
    # All there: nobody is told.
    receipts.receive(session, treasurer, shipment.id, [ReceiptInput(line, 4)])
    assert outbox.mails == []
    receipts.receive(
        session,
        treasurer,
        shipment.id,
        [ReceiptInput(line, 3, damaged=2, missing=1, reason="damaged_in_transit", note="wet")],
    )
    assert outbox.recipients == outbox.to(staff, colleague)
    context = outbox.mails[0]["context"]
    assert context["damaged"] == 2 and context["missing"] == 1 and context["outbound"]
    assert context["lines"][0]["note"] == "wet" and context["by"] == treasurer.name
    # Staff who record a discrepancy themselves are not told of it.
    outbox.mails.clear()
    other = _shipment(world, session, staff)
    shipments.dispatch(session, staff, other.id)
    outbox.mails.clear()  # the treasurer's, of the dispatch
    receipts.receive(
        session, staff, other.id, [ReceiptInput(other.lines[0].id, 9, missing=1, reason="missing")]
    )
    assert outbox.recipients == outbox.to(colleague)


def test_queuing_never_stops_the_work(
    world: World, session, staff, make_user, outbox: Outbox, caplog
):
    make_user(Role.TREASURER, "GB")
    outbox.fail = True
    shipment = _shipment(world, session, staff)
    with caplog.at_level(logging.ERROR, logger="tracker.services.notifications"):
        shipments.dispatch(session, staff, shipment.id)
    assert shipment.status == ShipmentStatus.DISPATCHED
    assert world.stock("GB-TRANSIT") == 10
    assert "could not queue shipment_dispatched mail" in caplog.text


def test_nothing_is_queued_when_notifications_are_off(
    app, world: World, session, staff, make_user, outbox: Outbox
):
    make_user(Role.TREASURER, "GB")
    make_user(Role.COORDINATOR)
    app.config["NOTIFICATIONS"] = False
    shipment = _shipment(world, session, staff, expected=date(2020, 3, 1))
    shipments.dispatch(session, staff, shipment.id, when=date(2020, 2, 1))
    assert notifications.send_overdue(session).queued == 0
    assert notifications.send_weekly(session, "GBP").queued == 0
    with notifications.silenced(session):
        app.config["NOTIFICATIONS"] = True
        assert notifications.send_weekly(session, "GBP").queued == 0
    assert outbox.mails == []


def test_the_overdue_rule_is_the_dashboards(world: World, session, staff):
    today = date(2026, 6, 10)
    made = []
    for expected, dispatch in (
        (date(2026, 6, 9), True),  # overdue
        (date(2026, 6, 10), True),  # due today: not yet
        (None, True),  # never expected: never overdue
        (date(2026, 6, 1), False),  # a draft
    ):
        shipment = _shipment(world, session, staff, expected=expected)
        if dispatch:
            shipments.dispatch(session, staff, shipment.id, when=date(2026, 6, 1))
        made.append(shipment)
    assert overdue_shipments(session, today) == [s for s in made if s.is_overdue(today)]
    assert overdue_shipments(session, today) == [made[0]]


def test_each_overdue_shipment_is_told_once(
    world: World, session, staff, make_user, outbox: Outbox
):
    gb = make_user(Role.TREASURER, "GB")
    late = _shipment(world, session, staff, expected=date(2026, 6, 9))
    shipments.dispatch(session, staff, late.id, when=date(2026, 6, 1))
    now = datetime(2026, 6, 12, 7, tzinfo=UTC)
    sent = notifications.send_overdue(session, now)
    assert (sent.queued, sent.already) == (1, 1 - 1)
    mail = outbox.mails[-1]
    assert mail["to"] == gb.email and mail["kind"] == "shipment_overdue"
    assert mail["context"]["days_overdue"] == 3 and mail["context"]["in_transit"] == 10
    again = notifications.send_overdue(session, now + timedelta(days=1))
    assert (again.queued, again.already) == (0, 1)
    # Received: no longer overdue, nothing more to say.
    receipts.receive(session, gb, late.id, [ReceiptInput(late.lines[0].id, 10)])
    assert notifications.send_overdue(session, now + timedelta(days=2)).already == 0


def test_overdue_goes_by_the_sections_own_day(
    world: World, session, staff, make_user, outbox: Outbox
):
    se = _section(session, "Sweden")
    se.time_zone = "Pacific/Kiritimati"  # UTC+14
    make_user(Role.TREASURER, "SE")
    late = _shipment(world, session, staff, section="Sweden", expected=date(2026, 6, 9))
    shipments.dispatch(session, staff, late.id, when=date(2026, 6, 1))
    # 11:00 UTC on the 9th is already the 10th there: overdue by a day.
    sent = notifications.send_overdue(session, datetime(2026, 6, 9, 11, tzinfo=UTC))
    assert sent.queued == 1 and outbox.mails[-1]["context"]["days_overdue"] == 1
    # In Britain's zone it would not be yet.
    se.time_zone = "UTC"
    outbox.keys.clear()
    assert notifications.send_overdue(session, datetime(2026, 6, 9, 11, tzinfo=UTC)).queued == 0


def test_the_weekly_digest_goes_once_a_week(world: World, session, make_user, outbox: Outbox):
    first = make_user(Role.COORDINATOR)
    second = make_user(Role.COORDINATOR)
    second.language = "sv"
    make_user(Role.TREASURER, "GB")
    monday = date(2026, 11, 30)
    sent = notifications.send_weekly(session, "GBP", monday)
    assert (sent.queued, sent.already) == (2, 0)
    assert outbox.recipients == outbox.to(first, second)
    assert {m["key"] for m in outbox.mails} == {
        f"weekly_digest:2026-W48:{first.id}",
        f"weekly_digest:2026-W48:{second.id}",
    }
    context = outbox.mails[0]["context"]
    assert (context["week_first"], context["week_last"]) == (date(2026, 11, 23), date(2026, 11, 29))
    # Again on Thursday of the same week: the same week's digest, sent already.
    again = notifications.send_weekly(session, "GBP", monday + timedelta(days=3))
    assert (again.queued, again.already) == (0, 2)
    # The next week's goes.
    assert notifications.send_weekly(session, "GBP", monday + timedelta(days=7)).queued == 2


def test_the_digest_is_the_dashboards(generated_app):
    session = generated_app.extensions["tracker.db"].session_factory()
    try:
        today = GENERATED_END + timedelta(days=1)
        assert digest_week(today).first == GENERATED_END - timedelta(days=6)
        alerts.set_thresholds(
            session, None, alerts.Thresholds(weeks_of_cover=None, copies=10**6), {}
        )
        digest = weekly_digest(session, today, "GBP")
        # Every section is below a million copies; the generated launch has none sent.
        assert digest.low_stock and all(a.kind == "low_stock" for a in digest.low_stock)
        assert [a.kind for a in digest.events] == ["event_without_stock"]
        assert "starts in 6 days" in digest.events[0].message
        assert len(digest.sales) == 4 and digest.sold == sum(c.sold for c in digest.sales)
        later = weekly_digest(session, today + timedelta(days=60), "GBP")
        assert later.overdue and all(a.kind == "overdue_shipment" for a in later.overdue)
    finally:
        session.close()


def test_the_commands(committed_app, monkeypatch):
    from tests.factories import make_user
    from tracker.db import db

    box = Outbox()
    monkeypatch.setattr(notifications, "enqueue", box)
    with committed_app.app_context():
        make_user(db.session, committed_app.extensions["tracker.hasher"], Role.COORDINATOR)
    runner = committed_app.test_cli_runner()
    result = runner.invoke(args=["notify", "weekly"])
    assert result.exit_code == 0 and result.output == "Weekly digests: 1 queued.\n"
    result = runner.invoke(args=["notify", "weekly"])
    assert result.output == "Weekly digests: 0 queued, 1 sent before and left out.\n"
    result = runner.invoke(args=["notify", "overdue"])
    assert result.exit_code == 0 and result.output == "Overdue notices: 0 queued.\n"
    committed_app.config["NOTIFICATIONS"] = False
    result = runner.invoke(args=["notify", "weekly"])
    assert result.output == "Notifications are off (NOTIFICATIONS): nothing queued.\n"
    assert len(box.mails) == 1
