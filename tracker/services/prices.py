"""What readers pay for each edition in a section, in the section's currency: its own
price, else the edition's list price in that currency, main or other (the rule is
``queries.prices``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from tracker.domain.accounts import SECTION_RUNNERS, Actor, require_role
from tracker.domain.errors import DomainError
from tracker.domain.money import MAX_PRICE_MINOR, to_minor
from tracker.domain.words import say
from tracker.models import Edition, SectionPrice
from tracker.services import atomic
from tracker.services.places import get_section


@atomic
def set_price(
    session: Session,
    actor: Actor | None,
    section_id: int,
    edition_id: int,
    price: Decimal | str | None,
) -> SectionPrice | None:
    """Set (or, with an empty price, drop) the section's price for an edition."""
    require_role(
        actor, SECTION_RUNNERS, say("Only the section's treasurer (or an admin) sets its prices.")
    )
    section = get_section(session, actor, section_id)
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise DomainError(say("There is no edition %(id)s.", id=edition_id))
    existing = session.get(SectionPrice, (section.id, edition.id))
    if price is None or str(price).strip() == "":
        if existing is not None:
            session.delete(existing)
            session.flush()
        return None
    try:
        minor = to_minor(price, section.currency, limit=MAX_PRICE_MINOR, what=say("a price"))
    except DomainError as error:
        raise DomainError(
            say("%(edition)s: %(message)s", edition=edition.label, message=error.message)
        ) from None
    if minor < 0:
        raise DomainError(say("%(edition)s: the price cannot be negative.", edition=edition.label))
    if existing is None:
        existing = SectionPrice(section_id=section.id, edition_id=edition.id, price_minor=minor)
        session.add(existing)
    else:
        existing.price_minor = minor
    session.flush()
    return existing
