"""Money a section sends the publisher: recorded by its treasurer, confirmed by
distribution staff when it arrives (once: two confirmations at once make one)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from tracker.db import utcnow
from tracker.domain.accounts import SECTION_RUNNERS, Actor, actor_id, is_staff, require_role
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.events import PaymentMethod
from tracker.domain.money import check_currency, format_money, to_minor
from tracker.domain.values import check_day
from tracker.domain.words import say
from tracker.ledger import past
from tracker.models import Remittance
from tracker.services import atomic, change_once, documents
from tracker.services.places import get_section


@atomic
def record_remittance(
    session: Session,
    actor: Actor | None,
    *,
    section_id: int,
    amount: Decimal | str,
    currency: str,
    sent_on: date,
    method: str,
    reference: str | None = None,
    note: str | None = None,
    key: str | None = None,
    when: datetime | None = None,
) -> Remittance:
    """Money a section sent the publisher, in the section's currency. ``when``: the
    moment that day stands for, where the reader's day is not UTC's (else its end,
    UTC; today: now)."""
    require_role(
        actor,
        SECTION_RUNNERS,
        say("Only the section's treasurer (or an admin) records its remittances."),
    )
    section = get_section(session, actor, section_id)
    if check_currency(currency) != section.currency:
        raise DomainError(
            say(
                "%(section)s pays the publisher in %(currency)s, not %(sent)s.",
                section=section.name,
                currency=section.currency,
                sent=currency.upper(),
            )
        )
    minor = to_minor(amount, section.currency, what=say("a remittance"))
    if minor <= 0:
        raise DomainError(say("The amount must be more than zero."))
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise DomainError(say("Choose how the money was sent.")) from None
    if sent_on is None:
        raise DomainError(say("Give the date the money was sent."))
    check_day(sent_on, say("The day the money was sent"))
    at = documents.occurred_at(session, when or sent_on)
    past.refuse_closed(session, [section.id], at)
    document = documents.start(
        session, actor, "remittance", key=key, reference=reference, note=note, occurred_at=at
    )
    remittance = Remittance(
        document_id=document.id,
        section_id=section.id,
        amount_minor=minor,
        currency=section.currency,
        sent_on=sent_on,
        method=method.value,
        reference=document.reference,
    )
    session.add(remittance)
    session.flush()
    return remittance


@atomic
def confirm_remittance(session: Session, actor: Actor | None, remittance_id: int) -> Remittance:
    """Distribution staff say the money arrived."""
    if not is_staff(actor):
        raise DomainError(say("Only distribution staff confirm that money arrived."))
    remittance = session.get(Remittance, remittance_id)
    if remittance is None:
        raise NotFound(say("There is no remittance %(id)s.", id=remittance_id))
    confirmed = change_once(
        session,
        remittance,
        Remittance.confirmed_at.is_(None),
        {"confirmed_at": utcnow(), "confirmed_by_id": actor_id(actor)},
        "confirmed",
    )
    if not confirmed:
        raise DomainError(
            say(
                "The remittance of %(amount)s was already confirmed.",
                amount=format_money(remittance.amount_minor, remittance.currency),
            )
        )
    return remittance
