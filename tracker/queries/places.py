"""Sections, countries and places, as pages list and open them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.domain.places import LocationKind
from tracker.models import Country, Document, Location, Section, Stocktake, User


def list_sections(
    session: Session, only: int | None = None, *, open_only: bool = False
) -> list[Section]:
    """Sections by name, with their countries; only one when ``only`` (a treasurer's
    own); without the archived ones when ``open_only`` (what a new thing may be made
    in: reports and filters keep them all)."""
    query = select(Section).options(joinedload(Section.country)).order_by(Section.name)
    if only is not None:
        query = query.where(Section.id == only)
    if open_only:
        query = query.where(Section.archived.is_(False))
    return list(session.scalars(query))


@dataclass
class SectionRow:
    """A section as the admins' list shows it: its stores and its people."""

    section: Section
    stores: list[Location]
    accounts: list[User]

    @property
    def treasurers(self) -> list[User]:
        return [user for user in self.accounts if user.role == "treasurer"]


def sections_overview(session: Session) -> list[SectionRow]:
    """Every section (open ones first, then by name) with its stores and accounts."""
    sections = session.scalars(
        select(Section)
        .options(joinedload(Section.country), selectinload(Section.locations))
        .order_by(Section.archived, Section.name)
    ).all()
    accounts: dict[int, list[User]] = {}
    for user in session.scalars(
        select(User).where(User.section_id.is_not(None)).order_by(User.name, User.email)
    ):
        accounts.setdefault(user.section_id or 0, []).append(user)
    return [
        SectionRow(
            section,
            [loc for loc in section.locations if loc.kind == LocationKind.SECTION_STORE],
            accounts.get(section.id, []),
        )
        for section in sections
    ]


def places_page(
    session: Session,
    *,
    section_scope: int | None,
    section_id: int | None = None,
    kind: str | None = None,
    after: int | None = None,
    limit: int = 50,
) -> list[Location]:
    """Places (every kind: the warehouse, stores, event tables, and the virtual ones),
    by number, from after the place ``after``: ``limit`` at most. A treasurer
    (``section_scope``) sees their section's only."""
    query = (
        select(Location)
        .options(joinedload(Location.section).joinedload(Section.country))
        .order_by(Location.id)
        .limit(limit)
    )
    if section_scope is not None:
        query = query.where(Location.section_id == section_scope)
    if section_id is not None:
        query = query.where(Location.section_id == section_id)
    if kind is not None:
        query = query.where(Location.kind == kind)
    if after is not None:
        query = query.where(Location.id > after)
    return list(session.scalars(query))


def section_accounts(session: Session, section_id: int) -> list[User]:
    """The accounts of a section (its treasurers), by name."""
    return list(
        session.scalars(
            select(User).where(User.section_id == section_id).order_by(User.name, User.email)
        )
    )


def warehouses(session: Session) -> list[Location]:
    """The publisher's warehouse(s)."""
    return list(
        session.scalars(
            select(Location)
            .where(Location.kind == LocationKind.WAREHOUSE)
            .order_by(Location.active.desc(), Location.id)
        )
    )


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
