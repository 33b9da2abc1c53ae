"""Money as pages read it: the prices readers pay in each section, the exchange rates
entered, and the remittances sections sent.

What a reader pays for an edition in a section, when the sale does not say, is decided
here alone: the section's own price, else the edition's list price in the section's
currency (its main list price, or one of its list prices in other currencies), else
none (the price must be typed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from tracker.models import (
    Document,
    Edition,
    EditionListPrice,
    ExchangeRate,
    Remittance,
    Section,
    SectionPrice,
)

# Read at every sale: built once.
_OWN_PRICE = select(SectionPrice.price_minor).where(
    SectionPrice.section_id == bindparam("section"), SectionPrice.edition_id == bindparam("edition")
)
_OTHER_LIST_PRICE = select(EditionListPrice.price_minor).where(
    EditionListPrice.edition_id == bindparam("edition"),
    EditionListPrice.currency == bindparam("currency"),
)


def _usual(
    own: int | None, edition: Edition, currency: str, other: Callable[[], int | None]
) -> int | None:
    """The rule: the section's own price (``own``), else the edition's list price in the
    section's ``currency``: its main one when in that currency, else its list price in
    that currency among its others (``other``, asked only then), if it has one."""
    if own is not None:
        return own
    if edition.currency == currency:
        return edition.list_price_minor
    return other()


def price_for(session: Session, section: Section, edition: Edition) -> int | None:
    """What a reader pays for ``edition`` in ``section`` (minor units of its currency),
    by the rule of ``_usual``."""
    own = session.scalar(_OWN_PRICE, {"section": section.id, "edition": edition.id})
    return _usual(
        own,
        edition,
        section.currency,
        lambda: session.scalar(
            _OTHER_LIST_PRICE, {"edition": edition.id, "currency": section.currency}
        ),
    )


def _other_list_prices(session: Session, currency: str, editions: list[Edition]) -> dict:
    """The editions' list prices in ``currency`` among their others: edition id -> price."""
    return {
        p.edition_id: p.price_minor
        for p in session.scalars(
            select(EditionListPrice).where(
                EditionListPrice.currency == currency,
                EditionListPrice.edition_id.in_([e.id for e in editions]),
            )
        )
    }


def prices_for(session: Session, section: Section, editions: list[Edition]) -> dict:
    """``price_for`` of each edition, in two queries: edition id -> price or None."""
    own = section_prices(session, section.id)
    others = _other_list_prices(session, section.currency, editions)
    return {
        e.id: _usual(own.get(e.id), e, section.currency, partial(others.get, e.id))
        for e in editions
    }


def list_prices_in(session: Session, currency: str, editions: list[Edition]) -> dict:
    """Each edition's list price in ``currency`` (what a section of that currency
    charges without a price of its own): edition id -> price or None."""
    others = _other_list_prices(session, currency, editions)
    return {e.id: _usual(None, e, currency, partial(others.get, e.id)) for e in editions}


def rates_on(session: Session, day: date) -> dict[str, ExchangeRate]:
    """The rate in force on ``day`` for every currency that has one (one query)."""
    latest = (
        select(ExchangeRate.currency, func.max(ExchangeRate.valid_on).label("valid_on"))
        .where(ExchangeRate.valid_on <= day)
        .group_by(ExchangeRate.currency)
        .subquery()
    )
    return {
        rate.currency: rate
        for rate in session.scalars(
            select(ExchangeRate).join(
                latest,
                (latest.c.currency == ExchangeRate.currency)
                & (latest.c.valid_on == ExchangeRate.valid_on),
            )
        )
    }


def section_prices(session: Session, section_id: int) -> dict[int, int]:
    """A section's own prices: edition -> price (minor units)."""
    return {
        p.edition_id: p.price_minor
        for p in session.scalars(select(SectionPrice).where(SectionPrice.section_id == section_id))
    }


def list_rates(session: Session) -> list[ExchangeRate]:
    """Every rate entered, by currency, the latest first."""
    return list(
        session.scalars(
            select(ExchangeRate).order_by(ExchangeRate.currency, ExchangeRate.valid_on.desc())
        )
    )


def list_remittances(session: Session, section_id: int | None = None) -> list[Remittance]:
    """Remittances, the latest sent first, with their sections; of one section when
    asked."""
    query = (
        select(Remittance)
        .join(Remittance.section)
        .options(
            contains_eager(Remittance.section),
            joinedload(Remittance.document).joinedload(Document.created_by),
        )
        .order_by(Remittance.sent_on.desc(), Remittance.document_id.desc())
    )
    if section_id is not None:
        query = query.where(Remittance.section_id == section_id)
    return list(session.scalars(query))
