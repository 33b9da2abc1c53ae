"""Sections, countries and places, as pages list and open them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.models import Country, Document, Location, Section, Stocktake


def list_sections(session: Session, only: int | None = None) -> list[Section]:
    """Sections by name, with their countries; only one when ``only`` (a treasurer's
    own)."""
    query = select(Section).options(joinedload(Section.country)).order_by(Section.name)
    if only is not None:
        query = query.where(Section.id == only)
    return list(session.scalars(query))


def list_countries(session: Session) -> list[Country]:
    return list(session.scalars(select(Country).order_by(Country.name)))


def section_with_places(session: Session, section_id: int) -> Section | None:
    """A section with its places loaded (its store is the one a page sells from)."""
    return session.get(Section, section_id, options=[joinedload(Section.locations)])


def get_section(session: Session, section_id: int) -> Section | None:
    return session.get(Section, section_id)


def get_location(session: Session, location_id: int) -> Location | None:
    return session.get(Location, location_id)


def location_with_code(session: Session, code: str) -> Location | None:
    return session.scalar(select(Location).where(Location.code == code.strip().upper()))


def get_document(session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


def get_stocktake(session: Session, document_id: int) -> Stocktake | None:
    return session.get(Stocktake, document_id)
