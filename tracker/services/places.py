"""Countries, sections and their locations."""

from __future__ import annotations

import re

from babel import Locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain.accounts import Actor, may_see
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.money import check_currency
from tracker.domain.places import PHYSICAL_KINDS, SECTION_VIRTUAL_KINDS, LocationKind
from tracker.domain.text import clean
from tracker.domain.words import say
from tracker.models import Country, Location, Section

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")

# The publisher's own virtual locations, besides the warehouse itself.
PUBLISHER_VIRTUAL = {
    LocationKind.PRINTER: ("PRINTER", "Printer"),
    LocationKind.IN_TRANSIT: ("WH-TRANSIT", "In transit to the warehouse"),
    LocationKind.WRITTEN_OFF: ("WH-WRITTEN-OFF", "Written off at the publisher"),
    LocationKind.STOCKTAKE_DIFFERENCES: ("WH-STOCKTAKE", "Warehouse stocktake differences"),
    LocationKind.CUSTOMERS: ("WH-CUSTOMERS", "Sold by the publisher"),
}

_SECTION_VIRTUAL_NAMES = {
    LocationKind.IN_TRANSIT: ("TRANSIT", "In transit to {section}"),
    LocationKind.CUSTOMERS: ("CUSTOMERS", "Sold by {section}"),
    LocationKind.WRITTEN_OFF: ("WRITTEN-OFF", "Written off by {section}"),
    LocationKind.STOCKTAKE_DIFFERENCES: ("STOCKTAKE", "Stocktake differences of {section}"),
}


def country_name(code: str) -> str | None:
    """The English name of an ISO 3166-1 alpha-2 code, or None when it is not one."""
    if len(code) != 2 or not code.isalpha():
        return None
    return Locale("en").territories.get(code)


def ensure_country(session: Session, code: str) -> Country:
    normalized = (code or "").strip().upper()
    name = country_name(normalized)
    if name is None:
        raise DomainError(
            say(
                "%(code)s is not an ISO 3166-1 alpha-2 country code (such as GB, SE).",
                code=repr(code),
            )
        )
    country = session.get(Country, normalized)
    if country is None:
        country = Country(code=normalized, name=name)
        session.add(country)
        session.flush()
    return country


def check_code(code: str) -> str:
    normalized = (code or "").strip().upper()
    if not _CODE.match(normalized):
        raise DomainError(
            say(
                "Location code %(code)s must be 1 to 40 capital letters, digits or hyphens.",
                code=repr(code),
            )
        )
    return normalized


def create_location(
    session: Session,
    *,
    kind: LocationKind | str,
    code: str,
    name: str,
    section: Section | None = None,
) -> Location:
    try:
        kind = LocationKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in LocationKind)
        raise DomainError(
            say("%(kind)s is not a kind of location (%(known)s).", kind=repr(kind), known=known)
        ) from None
    code = check_code(code)
    name = clean(name, say("the location's name"), 200) or ""
    if not name:
        raise DomainError(say("A location needs a name."))
    if kind == LocationKind.SECTION_STORE and section is None:
        raise DomainError(say("A section store belongs to a section: say which."))
    if kind == LocationKind.EVENT_TABLE and section is None:
        raise DomainError(say("An event table belongs to a section: say which."))
    if kind == LocationKind.WAREHOUSE and section is not None:
        raise DomainError(say("The warehouse is the publisher's; it belongs to no section."))
    if session.scalar(select(Location.id).where(Location.code == code)) is not None:
        raise DomainError(say("There is already a location with the code %(code)s.", code=code))
    location = Location(kind=kind.value, code=code, name=name, section=section, active=True)
    session.add(location)
    session.flush()
    return location


def ensure_publisher_locations(session: Session, *, warehouse_name: str = "Warehouse") -> Location:
    """The warehouse and the publisher's virtual locations; returns the warehouse."""
    warehouse = session.scalar(select(Location).where(Location.code == "WH"))
    if warehouse is None:
        warehouse = create_location(
            session, kind=LocationKind.WAREHOUSE, code="WH", name=warehouse_name
        )
    for kind, (code, name) in PUBLISHER_VIRTUAL.items():
        if session.scalar(select(Location.id).where(Location.code == code)) is None:
            create_location(session, kind=kind, code=code, name=name)
    return warehouse


def create_section(
    session: Session,
    *,
    name: str,
    country_code: str,
    currency: str,
    code: str | None = None,
    store_name: str | None = None,
) -> Section:
    """A section with its store and its own virtual locations.

    ``code`` prefixes its location codes (default: the country code): ``GB-STORE``,
    ``GB-TRANSIT``, ``GB-CUSTOMERS``...
    """
    name = clean(name, say("the section's name"), 200) or ""
    if not name:
        raise DomainError(say("A section needs a name."))
    if session.scalar(select(Section.id).where(Section.name == name)) is not None:
        raise DomainError(say("There is already a section called %(name)s.", name=name))
    country = ensure_country(session, country_code)
    prefix = check_code(code or country.code)
    section = Section(name=name, country=country, currency=check_currency(currency))
    session.add(section)
    session.flush()
    create_location(
        session,
        kind=LocationKind.SECTION_STORE,
        code=f"{prefix}-STORE",
        name=store_name or f"{name} store",
        section=section,
    )
    for kind in SECTION_VIRTUAL_KINDS:
        suffix, label = _SECTION_VIRTUAL_NAMES[kind]
        create_location(
            session,
            kind=kind,
            code=f"{prefix}-{suffix}",
            name=label.format(section=name),
            section=section,
        )
    session.expire(section, ["locations"])
    return section


def publisher_location(session: Session, kind: LocationKind) -> Location:
    """The publisher's (first open) location of a kind: the warehouse, its transit..."""
    location = session.scalar(
        select(Location)
        .where(Location.kind == kind, Location.section_id.is_(None), Location.active.is_(True))
        .order_by(Location.id)
        .limit(1)
    )
    if location is None:
        raise DomainError(
            say(
                "The publisher has no open %(kind)s location: add one with `tracker places`.",
                kind=kind.label,
            )
        )
    return location


def get_section(session: Session, actor: Actor | None, section_id: int | None) -> Section:
    """The section, if the actor may see it (a treasurer sees only their own: to them,
    another section does not exist)."""
    section = session.get(Section, section_id) if section_id is not None else None
    if section is None or not may_see(actor, section.id):
        raise NotFound(say("There is no section %(id)s.", id=section_id))
    return section


def store_of(section: Section, location_id: int | None = None) -> Location:
    """A section's open store: the first, or the one asked for."""
    stores = [
        loc for loc in section.locations if loc.kind == LocationKind.SECTION_STORE and loc.active
    ]
    if not stores:
        raise DomainError(say("Section %(section)s has no open store.", section=section.name))
    if location_id is None:
        return stores[0]
    for store in stores:
        if store.id == location_id:
            return store
    raise DomainError(
        say(
            "Location %(id)s is not an open store of section %(section)s.",
            id=location_id,
            section=section.name,
        )
    )


def physical_place(
    session: Session, actor: Actor | None, location_id: int | None, missing: str
) -> Location:
    """A place where copies are kept that the actor may act on (a treasurer: only their
    section's); ``missing`` is the message when there is none (it says what for)."""
    place = session.get(Location, location_id) if location_id is not None else None
    if place is None or not may_see(actor, place.section_id):
        raise NotFound(missing)
    if place.kind not in PHYSICAL_KINDS:
        raise DomainError(say("%(place)s is not a place where copies are kept.", place=place.name))
    return place


def virtual_of(session: Session, place: Location, kind: LocationKind) -> Location:
    """The virtual place of ``kind`` that belongs with a place: its section's, or the
    publisher's for the warehouse."""
    if place.section is not None:
        return place.section.location_of_kind(kind)
    return publisher_location(session, kind)


def location_by_code(session: Session, code: str) -> Location:
    normalized = (code or "").strip().upper()
    location = (
        session.scalar(select(Location).where(Location.code == normalized))
        if _CODE.match(normalized)
        else None
    )
    if location is None:
        raise NotFound(say("There is no location with the code %(code)s.", code=repr(code)))
    return location


def is_physical(location: Location) -> bool:
    return location.kind in PHYSICAL_KINDS
