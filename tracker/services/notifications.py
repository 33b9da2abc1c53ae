"""Mail that tells people what needs them, queued in the transaction of what caused it.

* A shipment to a section is dispatched: its treasurers hear what comes, how, and when
  (``shipment_dispatched``, from ``services.shipments.dispatch``).
* A receipt counts damaged or missing copies: distribution staff hear which
  (``receipt_counted``, from ``services.receipts.receive``).
* ``send_overdue`` (``tracker notify overdue``): each shipment to a section that is
  overdue (``queries.distribution.overdue_shipments``, the dashboard's rule, on the
  section's own day) is told to its treasurers once.
* ``send_weekly`` (``tracker notify weekly``): coordinators get the week's digest, from
  the dashboard's figures, once per week.

Who gets each kind is ``queries.notifications.recipients``: active accounts of the
kind's role (a treasurer: of the section concerned) who did not switch it off in their
account (``save_switches``). Each mail is written in its reader's language (their own,
else their section's), its days in their section's zone.

Mails go into the outbox (``services.mail.enqueue``), sent later by ``tracker mail
send``. Queuing never stands in the way of the work that causes it: a mail that cannot
be queued is logged and left out (a savepoint of its own), and the dispatch or receipt
goes on. With ``NOTIFICATIONS`` off in the configuration, nothing is queued.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import utcnow
from tracker.domain.accounts import Actor, actor_id
from tracker.domain.distribution import Direction
from tracker.domain.errors import DomainError
from tracker.domain.languages import DEFAULT, language
from tracker.domain.notifications import (
    NotificationKind,
    discrepancy_key,
    dispatched_key,
    kinds_for,
    overdue_key,
    weekly_key,
)
from tracker.domain.words import say
from tracker.models import NotificationSetting, Receipt, ReceiptLine, Section, Shipment, User
from tracker.queries.distribution import overdue_shipments
from tracker.queries.notifications import Digest, digest_week, recipients, weekly_digest
from tracker.services import atomic, mail
from tracker.services.mail import enqueue

log = logging.getLogger(__name__)

K = NotificationKind


# -- the switches ------------------------------------------------------------------------------


@atomic
def save_switches(session: Session, actor: Actor, wanted: dict[str, bool]) -> None:
    """Switch each kind of mail of the person's role on or off (kinds not listed stay
    as they are). Only a change is written (and so audited)."""
    mine = {kind.value: kind for kind in kinds_for(actor.role)}
    for name in wanted:
        if name not in mine:
            raise DomainError(say("%(kind)s is not a kind of mail you get.", kind=repr(name)))
    rows = {
        row.kind: row
        for row in session.scalars(
            select(NotificationSetting).where(NotificationSetting.user_id == actor.id)
        )
    }
    for name, enabled in wanted.items():
        row = rows.get(name)
        if row is None:
            if not enabled:  # no row: on
                session.add(NotificationSetting(user_id=actor.id, kind=name, enabled=False))
        elif row.enabled != enabled:
            row.enabled = enabled
    session.flush()


# -- queuing -----------------------------------------------------------------------------------


# Set on a session whose work tells nobody (``silenced``).
_SILENT = "notifications_silent"


@contextmanager
def silenced(session: Session) -> Iterator[None]:
    """Queue no mail for what is done meanwhile (the demo's campaign, long past)."""
    before = session.info.get(_SILENT, False)
    session.info[_SILENT] = True
    try:
        yield
    finally:
        session.info[_SILENT] = before


def _on(session: Session) -> bool:
    """Whether mail is queued at all: only within the app (not a bare script), only
    when the configuration says so, and not while the session is ``silenced``."""
    from flask import has_app_context

    return has_app_context() and mail.enabled() and not session.info.get(_SILENT, False)


def reader_language(user: User) -> str:
    """The language a person reads their mail in: their own choice, else their
    section's, else the tracker's default."""
    section = user.section
    return (
        language(user.language)
        or (language(section.language) if section is not None else None)
        or DEFAULT
    )


def _zone(user: User) -> ZoneInfo:
    return ZoneInfo(user.section.time_zone if user.section is not None else "UTC")


def _their_day(user: User, moment: datetime | None) -> date | None:
    """The day a moment falls on where the person is."""
    return None if moment is None else moment.astimezone(_zone(user)).date()


def speaking(code: str) -> AbstractContextManager[None]:
    """Say what the rules say (``words.say``) in ``code`` meanwhile, as a mail does: the
    mail's context is made in its reader's language (the dashboard's alerts, labels)."""
    from tracker.web.i18n import speaking as mail_speaking

    return mail_speaking(code)


@dataclass
class Sent:
    """What was queued: mails queued, mails left out as sent before (their key), and
    mails that could not be queued (logged)."""

    queued: int = 0
    already: int = 0
    failed: int = 0

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


QUEUED, ALREADY, FAILED = "queued", "already", "failed"


def _queue(
    session: Session,
    user: User,
    kind: NotificationKind,
    key: str,
    context: Callable[[], dict[str, Any]],
) -> str:
    """Queue a mail of ``kind`` to ``user``, its ``context`` made in their language:
    QUEUED, ALREADY (its key was used: sent before) or FAILED (logged; the caller's
    work goes on)."""
    code = reader_language(user)
    try:
        with session.begin_nested(), speaking(code):
            queued = enqueue(
                session,
                to=user.email,
                kind=kind.value,
                template=kind.value,
                language=code,
                context={"recipient": user.name, "switch": kind.caption, **context()},
                key=key,
            )
    except Exception:  # a mail must never undo what it tells of
        log.exception("could not queue %s mail to user %s (%s)", kind.value, user.id, key)
        return FAILED
    return ALREADY if queued is None else QUEUED


# -- what is said ------------------------------------------------------------------------------


def _lines(shipment: Shipment) -> list[dict[str, Any]]:
    return [
        {"edition": line.edition.label, "copies": line.qty, "in_transit": line.outstanding}
        for line in shipment.lines
    ]


def _shipment(shipment: Shipment, user: User) -> dict[str, Any]:
    """What a treasurer's mail says of a shipment to their section."""
    return {
        "shipment_id": shipment.id,
        "section": shipment.section.name,
        "store": shipment.to_location.name,
        "lines": _lines(shipment),
        "copies": shipment.copies,
        "in_transit": shipment.copies_in_transit,
        "total_minor": shipment.total_minor,
        "currency": shipment.currency,
        "terms": shipment.terms_label,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "expected_on": shipment.expected_on,
        "dispatched_on": _their_day(user, shipment.dispatched_at),
        "note": shipment.document.note,
    }


def shipment_dispatched(session: Session, shipment: Shipment) -> Sent:
    """Tell the section's treasurers a shipment to them has left (returns, which go the
    other way, tell nobody)."""
    if not _on(session) or shipment.direction != Direction.OUTBOUND:
        return Sent()
    sent = Sent()
    for user in recipients(session, K.SHIPMENT_DISPATCHED, shipment.section_id):
        sent.count(
            _queue(
                session,
                user,
                K.SHIPMENT_DISPATCHED,
                dispatched_key(user.id, shipment.id),
                partial(_shipment, shipment, user),
            )
        )
    return sent


def _receipt(receipt: Receipt, lines: list[ReceiptLine], user: User) -> dict[str, Any]:
    """What distribution staff read of a receipt's damaged and missing copies."""
    shipment = receipt.shipment
    by = receipt.document.created_by
    return {
        "shipment_id": shipment.id,
        "section": shipment.section.name,
        "outbound": shipment.direction == Direction.OUTBOUND,
        "received_on": _their_day(user, receipt.received_at),
        "by": by.name if by is not None else None,
        "lines": [
            {
                "edition": line.shipment_line.edition.label,
                "received": line.received,
                "damaged": line.damaged,
                "missing": line.missing,
                "reason": line.reason_label,
                "note": line.note,
            }
            for line in lines
        ],
        "damaged": sum(line.damaged for line in lines),
        "missing": sum(line.missing for line in lines),
        "note": receipt.document.note,
    }


def receipt_counted(session: Session, actor: Actor | None, receipt: Receipt) -> Sent:
    """Tell distribution staff that a receipt counted damaged or missing copies (not
    the one who recorded it)."""
    lines = [line for line in receipt.lines if line.damaged or line.missing]
    if not _on(session) or not lines:
        return Sent()
    sent = Sent()
    for user in recipients(session, K.RECEIPT_DISCREPANCY):
        if user.id == actor_id(actor):
            continue
        sent.count(
            _queue(
                session,
                user,
                K.RECEIPT_DISCREPANCY,
                discrepancy_key(user.id, receipt.document_id),
                partial(_receipt, receipt, lines, user),
            )
        )
    return sent


# -- the commands ------------------------------------------------------------------------------


def _today_by_section(session: Session, now: datetime) -> dict[date, list[int]]:
    """Sections by the day it is where they are."""
    days: dict[date, list[int]] = defaultdict(list)
    for section_id, zone in session.execute(select(Section.id, Section.time_zone)):
        days[now.astimezone(ZoneInfo(zone)).date()].append(section_id)
    return days


def send_overdue(session: Session, now: datetime | None = None) -> Sent:
    """Tell each overdue shipment's section once (per treasurer): overdue by the
    dashboard's rule, on the day it is in the section's zone."""
    sent = Sent()
    if not _on(session):
        return sent
    now = now or utcnow()
    for today, section_ids in sorted(_today_by_section(session, now).items()):
        for shipment in overdue_shipments(
            session, today, section_ids=section_ids, direction=Direction.OUTBOUND
        ):
            assert shipment.expected_on is not None  # overdue: it was expected
            days = (today - shipment.expected_on).days
            for user in recipients(session, K.SHIPMENT_OVERDUE, shipment.section_id):
                sent.count(
                    _queue(
                        session,
                        user,
                        K.SHIPMENT_OVERDUE,
                        overdue_key(user.id, shipment.id),
                        partial(_overdue, shipment, user, days),
                    )
                )
    return sent


def _overdue(shipment: Shipment, user: User, days: int) -> dict[str, Any]:
    return {**_shipment(shipment, user), "days_overdue": days}


def _digest_context(digest: Digest) -> dict[str, Any]:
    def alerts(items: list) -> list[dict[str, Any]]:
        return [{"message": alert.message, "link": alert.link} for alert in items]

    return {
        "week_first": digest.week.first,
        "week_last": digest.week.last,
        "low_stock": alerts(digest.low_stock),
        "overdue": alerts(digest.overdue),
        "events": alerts(digest.events),
        "sales": [
            {"country": c.name, "sold": c.sold, "sold_signed": c.sold_signed} for c in digest.sales
        ],
        "sold": digest.sold,
        "sold_signed": sum(c.sold_signed for c in digest.sales),
    }


def send_weekly(session: Session, publisher_currency: str, today: date | None = None) -> Sent:
    """Send coordinators the digest of the last whole week before ``today`` (UTC), once
    per person and week: run again that week, it sends nothing more."""
    sent = Sent()
    if not _on(session):
        return sent
    today = today or utcnow().date()
    week = digest_week(today)
    # The dashboard's sentences are said as it is built: once per language read.
    contexts: dict[str, dict[str, Any]] = {}
    for user in recipients(session, K.WEEKLY_DIGEST):
        code = reader_language(user)

        def digest(code: str = code) -> dict[str, Any]:
            if code not in contexts:  # said in the reader's language: in _queue's
                contexts[code] = _digest_context(weekly_digest(session, today, publisher_currency))
            return contexts[code]

        sent.count(_queue(session, user, K.WEEKLY_DIGEST, weekly_key(user.id, week.first), digest))
    return sent
