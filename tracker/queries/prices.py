"""Money as pages read it: the prices readers pay in each section, the exchange rates
entered, and the remittances sections sent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from tracker.models import Document, Edition, ExchangeRate, Remittance, Section, SectionPrice

# Read at every sale: built once.
_OWN_PRICE = select(SectionPrice.price_minor).where(
    SectionPrice.section_id == bindparam("section"), SectionPrice.edition_id == bindparam("edition")
)


def price_for(session: Session, section: Section, edition: Edition) -> int | None:
    """What a reader pays for ``edition`` in ``section`` (minor units of its currency):
    the section's own price, else the list price when it is in the same currency."""
    own = session.scalar(_OWN_PRICE, {"section": section.id, "edition": edition.id})
    if own is not None:
        return own
    if edition.currency == section.currency:
        return edition.list_price_minor
    return None


def prices_for(session: Session, section: Section, editions: list[Edition]) -> dict:
    """``price_for`` of each edition, in one query: edition id -> price or None."""
    own = {
        p.edition_id: p.price_minor
        for p in session.scalars(select(SectionPrice).where(SectionPrice.section_id == section.id))
    }
    return {
        e.id: own.get(e.id, e.list_price_minor if e.currency == section.currency else None)
        for e in editions
    }


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
