"""Money: the price readers pay in each section, remittances to the publisher, and the
exchange rates an admin enters to see every section's balance in one currency."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker import audit
from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.events import PaymentMethod
from tracker.domain.money import MAX_PRICE_MINOR, check_currency, format_money, to_minor
from tracker.domain.values import check_day
from tracker.models import Edition, ExchangeRate, Remittance, Section, SectionPrice
from tracker.services import actor_id, atomic, documents, fenced_section, is_staff, role_of

_remittances = Remittance.__table__


def _section(session: Session, actor: object, section_id: int) -> Section:
    section = session.get(Section, section_id)
    fence = fenced_section(actor)
    if section is None or (fence is not None and fence != section_id):
        raise NotFound(f"There is no section {section_id}.")
    return section


@atomic
def set_price(
    session: Session, actor: object, section_id: int, edition_id: int, price: Decimal | str | None
) -> SectionPrice | None:
    """Set (or, with an empty price, drop) the section's price for an edition."""
    if actor is not None and role_of(actor) not in (Role.ADMIN, Role.TREASURER):
        raise DomainError("Only the section's treasurer (or an admin) sets its prices.")
    section = _section(session, actor, section_id)
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise DomainError(f"There is no edition {edition_id}.")
    existing = session.get(SectionPrice, (section.id, edition.id))
    if price is None or str(price).strip() == "":
        if existing is not None:
            session.delete(existing)
            session.flush()
        return None
    try:
        minor = to_minor(price, section.currency, limit=MAX_PRICE_MINOR, what="A price")
    except DomainError as error:
        raise DomainError(f"{edition.label}: {error.message}") from None
    if minor < 0:
        raise DomainError(f"{edition.label}: the price cannot be negative.")
    if existing is None:
        existing = SectionPrice(section_id=section.id, edition_id=edition.id, price_minor=minor)
        session.add(existing)
    else:
        existing.price_minor = minor
    session.flush()
    return existing


@atomic
def record_remittance(
    session: Session,
    actor: object,
    *,
    section_id: int,
    amount: Decimal | str,
    currency: str,
    sent_on: date,
    method: str,
    reference: str | None = None,
    note: str | None = None,
    key: str | None = None,
) -> Remittance:
    """Money a section sent the publisher, in the section's currency."""
    if actor is not None and role_of(actor) not in (Role.ADMIN, Role.TREASURER):
        raise DomainError("Only the section's treasurer (or an admin) records its remittances.")
    section = _section(session, actor, section_id)
    if check_currency(currency) != section.currency:
        raise DomainError(
            f"{section.name} pays the publisher in {section.currency}, not {currency.upper()}."
        )
    minor = to_minor(amount, section.currency, what="A remittance")
    if minor <= 0:
        raise DomainError("The amount must be more than zero.")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise DomainError("Choose how the money was sent.") from None
    if sent_on is None:
        raise DomainError("Give the date the money was sent.")
    if sent_on > date.today():
        raise DomainError(f"{sent_on:%d %b %Y} is in the future.")
    check_day(sent_on, "The day the money was sent")
    document = documents.start(
        session, actor, "remittance", key=key, reference=reference, note=note
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
def confirm_remittance(session: Session, actor: object, remittance_id: int) -> Remittance:
    """Distribution staff say the money arrived."""
    if not is_staff(actor):
        raise DomainError("Only distribution staff confirm that money arrived.")
    remittance = session.get(Remittance, remittance_id)
    if remittance is None:
        raise NotFound(f"There is no remittance {remittance_id}.")
    result = session.execute(
        update(_remittances)
        .where(_remittances.c.document_id == remittance.id, _remittances.c.confirmed_at.is_(None))
        .values(confirmed_at=utcnow(), confirmed_by_id=actor_id(actor))
    )
    if result.rowcount != 1:
        raise DomainError(
            f"The remittance of {format_money(remittance.amount_minor, remittance.currency)} "
            "was already confirmed."
        )
    session.refresh(remittance)
    audit.updated(
        session,
        remittance,
        {"confirmed_at": None, "confirmed_by_id": None},
        {"confirmed_at": remittance.confirmed_at, "confirmed_by_id": remittance.confirmed_by_id},
        "confirmed",
    )
    return remittance


MAX_RATE = Decimal(1_000_000)
_RATE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_rate(value: str | Decimal) -> Decimal:
    """A rate above zero, at most a million, with at most ten decimals."""
    text = str(value).strip()
    if len(text) > 40 or not _RATE.fullmatch(text):
        shown = text if len(text) <= 30 else text[:30] + "..."
        raise DomainError(f"{shown!r} is not a rate (such as 0.0734).")
    rate = Decimal(text)
    if rate <= 0:
        raise DomainError("A rate is a number above zero.")
    if rate > MAX_RATE:
        raise DomainError(f"A rate is at most {MAX_RATE:,}.")
    if rate.adjusted() < -10 or rate != rate.quantize(Decimal("1e-10")):
        raise DomainError("A rate has at most ten decimals.")
    return rate


@atomic
def set_rate(
    session: Session,
    actor: object,
    *,
    currency: str,
    valid_on: date,
    rate: str | Decimal,
    publisher_currency: str,
) -> ExchangeRate:
    """How much of the publisher's currency one unit of ``currency`` is worth, from
    ``valid_on`` until a later rate."""
    if actor is not None and role_of(actor) != Role.ADMIN:
        raise DomainError("Only an admin enters exchange rates.")
    currency = check_currency(currency)
    if currency == publisher_currency:
        raise DomainError(f"{currency} is the publisher's own currency: its rate is 1.")
    if valid_on is None:
        raise DomainError("Give the date the rate applies from.")
    check_day(valid_on, "The date the rate applies from")
    value = parse_rate(rate)
    existing = session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.currency == currency, ExchangeRate.valid_on == valid_on
        )
    )
    if existing is None:
        existing = ExchangeRate(currency=currency, valid_on=valid_on, rate=value)
        session.add(existing)
    else:
        existing.rate = value
    session.flush()
    return existing
