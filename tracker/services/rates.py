"""Exchange rates an admin enters, to see every section's balance in the publisher's
currency: never fetched, never guessed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain.accounts import RATE_KEEPERS, Actor, require_role
from tracker.domain.errors import DomainError
from tracker.domain.money import check_currency, parse_rate
from tracker.domain.values import check_day
from tracker.domain.words import say
from tracker.models import ExchangeRate
from tracker.services import atomic


@atomic
def set_rate(
    session: Session,
    actor: Actor | None,
    *,
    currency: str,
    valid_on: date,
    rate: str | Decimal,
    publisher_currency: str,
) -> ExchangeRate:
    """How much of the publisher's currency one unit of ``currency`` is worth, from
    ``valid_on`` until a later rate."""
    require_role(actor, RATE_KEEPERS, say("Only an admin enters exchange rates."))
    currency = check_currency(currency)
    if currency == publisher_currency:
        raise DomainError(
            say("%(currency)s is the publisher's own currency: its rate is 1.", currency=currency)
        )
    if valid_on is None:
        raise DomainError(say("Give the date the rate applies from."))
    check_day(valid_on, say("The date the rate applies from"))
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
