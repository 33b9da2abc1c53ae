"""Countries, sections and their places: made and changed by an admin (the pages) or
from the command line, through the same functions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.domain.accounts import Actor, Role, may_see, require_role
from tracker.domain.distribution import ShipmentStatus
from tracker.domain.errors import DomainError, NotFound, about
from tracker.domain.languages import DEFAULT
from tracker.domain.money import check_currency
from tracker.domain.places import PHYSICAL_KINDS, SECTION_VIRTUAL_KINDS, LocationKind
from tracker.domain.regions import (
    check_country,
    check_section_language,
    check_time_zone,
    country_name,
)
from tracker.domain.text import clean, copies
from tracker.domain.words import one_of, say
from tracker.models import (
    Balance,
    Country,
    Location,
    Remittance,
    Sale,
    Section,
    SectionPrice,
    Shipment,
)
from tracker.services import atomic
from tracker.services.accounts import normalize_email

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,39}$")
# A telephone number as people write it: digits, spaces, "+", brackets, dots, slashes
# and hyphens ("+44 (0)20 7515 7675").
_PHONE = re.compile(r"^[0-9 +()./-]+$", re.ASCII)
_PHONE_DIGITS = 5
# The longest address a parcel label takes (several lines).
MAX_ADDRESS = 1000

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

# Places set up here (the others are made with what they belong to: an event's table
# with its event, the virtual places with their section).
EDITED_KINDS = frozenset({LocationKind.WAREHOUSE, LocationKind.SECTION_STORE})
ADMINS = frozenset({Role.ADMIN})


def _admin_only(actor: Actor | None) -> None:
    require_role(actor, ADMINS, say("Only an admin sets up sections and places."))


def ensure_country(session: Session, code: str) -> Country:
    normalized = check_country(code)
    country = session.get(Country, normalized)
    if country is None:
        country = Country(code=normalized, name=country_name(normalized))
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


def _address(address: str | None) -> str | None:
    """A postal address of several lines, as kept: each line stripped, empty lines out."""
    text = clean(address, say("the address"), MAX_ADDRESS, multiline=True)
    if text is None:
        return None
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line) or None


def _code_free(session: Session, code: str, but: int | None = None) -> None:
    query = select(Location.id).where(Location.code == code)
    if but is not None:
        query = query.where(Location.id != but)
    if session.scalar(query) is not None:
        raise DomainError(say("There is already a location with the code %(code)s.", code=code))


def _place_name(name: str | None) -> str:
    text = clean(name, say("the location's name"), 200)
    if not text:
        raise DomainError(say("A location needs a name."))
    return text


def create_location(
    session: Session,
    *,
    kind: LocationKind | str,
    code: str,
    name: str,
    section: Section | None = None,
    address: str | None = None,
) -> Location:
    try:
        kind = LocationKind(kind)
    except ValueError:
        known = one_of([k.value for k in LocationKind])
        raise DomainError(
            say("%(kind)s is not a kind of location (%(known)s).", kind=repr(kind), known=known)
        ) from None
    code = check_code(code)
    name = _place_name(name)
    if kind == LocationKind.SECTION_STORE and section is None:
        raise DomainError(say("A section store belongs to a section: say which."))
    if kind == LocationKind.EVENT_TABLE and section is None:
        raise DomainError(say("An event table belongs to a section: say which."))
    if kind == LocationKind.WAREHOUSE and section is not None:
        raise DomainError(say("The warehouse is the publisher's; it belongs to no section."))
    _code_free(session, code)
    location = Location(
        kind=kind.value,
        code=code,
        name=name,
        section=section,
        active=True,
        address=_address(address) if kind in PHYSICAL_KINDS else None,
    )
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


# -- sections ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionDetails:
    """What an admin says of a section (its places aside)."""

    name: str | None
    country_code: str | None
    currency: str | None
    language: str | None = DEFAULT
    time_zone: str | None = "UTC"
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


def _section_name(session: Session, name: str | None, but: int | None = None) -> str:
    text = clean(name, say("the section's name"), 200)
    if not text:
        raise DomainError(say("A section needs a name."))
    query = select(Section.id).where(func.lower(Section.name) == text.lower())
    if but is not None:
        query = query.where(Section.id != but)
    if session.scalar(query) is not None:
        raise DomainError(say("There is already a section called %(name)s.", name=text))
    return text


def _phone(phone: str | None) -> str | None:
    text = clean(phone, say("the contact's phone"), 40)
    if text is None:
        return None
    if not _PHONE.match(text) or sum(c.isdigit() for c in text) < _PHONE_DIGITS:
        raise DomainError(
            say(
                "The contact's phone %(phone)s is not a telephone number (digits, spaces, "
                "+ ( ) . / -, such as +44 20 7515 7675).",
                phone=repr(text),
            )
        )
    return text


def _email(email: str | None) -> str | None:
    if not (email or "").strip():
        return None
    try:
        return normalize_email(email)
    except DomainError:
        raise DomainError(
            say("The contact's email %(email)s is not an email address.", email=repr(email))
        ) from None


def _checked(session: Session, details: SectionDetails, but: int | None = None) -> dict:
    """The section's values from ``details``, every one checked before any is set (a
    lookup may flush, and the database must see the change whole)."""
    values: dict[str, Any] = {}
    with about("name"):
        values["name"] = _section_name(session, details.name, but=but)
    with about("country_code"):
        values["country"] = ensure_country(session, details.country_code or "")
    with about("currency"):
        values["currency"] = check_currency(details.currency or "")
    with about("language"):
        values["language"] = check_section_language(details.language)
    with about("time_zone"):
        values["time_zone"] = check_time_zone(details.time_zone)
    with about("contact_name"):
        values["contact_name"] = clean(details.contact_name, say("the contact's name"), 200)
    with about("contact_email"):
        values["contact_email"] = _email(details.contact_email)
    with about("contact_phone"):
        values["contact_phone"] = _phone(details.contact_phone)
    return values


def _section_codes(session: Session, prefix: str) -> None:
    """The codes of a new section's places, ``prefix``-STORE and the others, are free."""
    codes = [f"{prefix}-STORE"] + [
        f"{prefix}-{_SECTION_VIRTUAL_NAMES[kind][0]}" for kind in SECTION_VIRTUAL_KINDS
    ]
    taken = session.scalar(select(Location.code).where(Location.code.in_(codes)).limit(1))
    if taken is not None:
        raise DomainError(
            say(
                "The code %(prefix)s is taken (there is already a location %(code)s): "
                "give the section another code.",
                prefix=prefix,
                code=taken,
            )
        )


@atomic
def create_section(
    session: Session,
    actor: Actor | None = None,
    *,
    name: str,
    country_code: str,
    currency: str,
    code: str | None = None,
    store_name: str | None = None,
    store_address: str | None = None,
    language: str | None = DEFAULT,
    time_zone: str | None = "UTC",
    contact_name: str | None = None,
    contact_email: str | None = None,
    contact_phone: str | None = None,
) -> Section:
    """A section with its store and its own virtual locations.

    ``code`` prefixes its location codes (default: the country code): ``GB-STORE``,
    ``GB-TRANSIT``, ``GB-CUSTOMERS``...
    """
    _admin_only(actor)
    values = _checked(
        session,
        SectionDetails(
            name,
            country_code,
            currency,
            language,
            time_zone,
            contact_name,
            contact_email,
            contact_phone,
        ),
    )
    prefix = check_code(code or values["country"].code)
    _section_codes(session, prefix)
    if store_name is not None:
        _place_name(store_name)
    address = _address(store_address)
    section = Section(**values)
    session.add(section)
    session.flush()
    name = section.name
    create_location(
        session,
        kind=LocationKind.SECTION_STORE,
        code=f"{prefix}-STORE",
        name=store_name or f"{name} store",
        section=section,
        address=address,
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


def money_recorded(session: Session, section_id: int) -> bool:
    """Whether the section has shipments, sales, remittances or prices: amounts in its
    currency, which therefore may no longer change."""
    return any(
        session.scalar(select(model.section_id).where(model.section_id == section_id).limit(1))
        is not None
        for model in (Shipment, Sale, Remittance, SectionPrice)
    )


def _section(session: Session, section_id: int | None) -> Section:
    section = session.get(Section, section_id) if section_id is not None else None
    if section is None:
        raise NotFound(say("There is no section %(id)s.", id=section_id))
    return section


@atomic
def update_section(
    session: Session, actor: Actor | None, section_id: int, details: SectionDetails
) -> Section:
    """Change what an admin says of a section. Its currency may change only while no
    amount has been recorded in it."""
    _admin_only(actor)
    section = _section(session, section_id)
    currency = check_currency(details.currency or "")
    if currency != section.currency and money_recorded(session, section.id):
        raise DomainError(
            say(
                "The currency of %(section)s cannot change from %(old)s to %(new)s: shipments, "
                "sales, remittances or prices are already recorded in %(old)s.",
                section=section.name,
                old=section.currency,
                new=currency,
            )
        )
    values = _checked(session, details, but=section.id)
    for key, value in values.items():
        setattr(section, key, value)
    session.flush()
    return section


def _still_held(session: Session, section: Section) -> int:
    """Copies at the section's places and on their way to it."""
    kinds = [*PHYSICAL_KINDS, LocationKind.IN_TRANSIT]
    return (
        session.scalar(
            select(func.coalesce(func.sum(Balance.qty), 0))
            .join(Location, Location.id == Balance.location_id)
            .where(Location.section_id == section.id, Location.kind.in_(kinds))
        )
        or 0
    )


_OPEN_SHIPMENTS = (
    ShipmentStatus.DRAFT,
    ShipmentStatus.DISPATCHED,
    ShipmentStatus.PARTLY_RECEIVED,
)


@atomic
def set_archived(session: Session, actor: Actor | None, section_id: int, archived: bool) -> Section:
    """Archive a section (offered nowhere new; its history and reports stay) or bring it
    back. A section archived holds no copies and has no shipment under way."""
    _admin_only(actor)
    section = _section(session, section_id)
    if archived and not section.archived:
        held = _still_held(session, section)
        if held:
            raise DomainError(
                say(
                    "%(section)s still holds %(copies)s (at its places or on their way to it): "
                    "send them back or write them off before archiving it.",
                    section=section.name,
                    copies=copies(held),
                )
            )
        shipment = session.scalar(
            select(Shipment.document_id)
            .where(Shipment.section_id == section.id, Shipment.status.in_(_OPEN_SHIPMENTS))
            .order_by(Shipment.document_id)
            .limit(1)
        )
        if shipment is not None:
            raise DomainError(
                say(
                    "Shipment #%(id)s of %(section)s is not finished (a draft, or under way): "
                    "cancel or receive it before archiving the section.",
                    id=shipment,
                    section=section.name,
                )
            )
    section.archived = archived
    session.flush()
    return section


def open_section(session: Session, actor: Actor | None, section_id: int | None) -> Section:
    """The section (``get_section``), if it is not archived: something new is made in it."""
    section = get_section(session, actor, section_id)
    if section.archived:
        raise DomainError(
            say(
                "Section %(section)s is archived: an admin brings it back first.",
                section=section.name,
            )
        )
    return section


# -- stores and the warehouse --------------------------------------------------------------------


@atomic
def create_store(
    session: Session,
    actor: Actor | None,
    *,
    section_id: int | None,
    code: str,
    name: str,
    address: str | None = None,
) -> Location:
    """Another store of a section."""
    _admin_only(actor)
    section = open_section(session, actor, section_id)
    return create_location(
        session,
        kind=LocationKind.SECTION_STORE,
        code=code,
        name=name,
        section=section,
        address=address,
    )


def edited_place(session: Session, location_id: int | None) -> Location:
    """The warehouse or a section's store (the places set up by an admin)."""
    place = session.get(Location, location_id) if location_id is not None else None
    if place is None or place.kind not in EDITED_KINDS:
        raise NotFound(say("There is no store or warehouse %(id)s.", id=location_id))
    return place


@atomic
def update_place(
    session: Session,
    actor: Actor | None,
    location_id: int,
    *,
    code: str,
    name: str,
    address: str | None,
) -> Location:
    """A store's or the warehouse's code, name and postal address."""
    _admin_only(actor)
    place = edited_place(session, location_id)
    new_code = check_code(code)
    _code_free(session, new_code, but=place.id)
    place.code = new_code
    place.name = _place_name(name)
    place.address = _address(address)
    session.flush()
    return place


@atomic
def set_place_active(
    session: Session, actor: Actor | None, location_id: int, active: bool
) -> Location:
    """Archive a section's store (it holds no copies; its section keeps an open store
    while the section is not archived) or open it again."""
    _admin_only(actor)
    place = edited_place(session, location_id)
    if place.kind != LocationKind.SECTION_STORE or place.section is None:
        raise DomainError(say("The warehouse cannot be archived."))
    if not active and place.active:
        held = session.scalar(
            select(func.coalesce(func.sum(Balance.qty), 0)).where(Balance.location_id == place.id)
        )
        if held:
            raise DomainError(
                say(
                    "%(place)s still holds %(copies)s: move them elsewhere before archiving it.",
                    place=place.name,
                    copies=copies(held),
                )
            )
        others = [
            loc
            for loc in place.section.locations
            if loc.kind == LocationKind.SECTION_STORE and loc.active and loc.id != place.id
        ]
        if not others and not place.section.archived:
            raise DomainError(
                say(
                    "%(place)s is the last open store of %(section)s, where shipments go: "
                    "open another one first.",
                    place=place.name,
                    section=place.section.name,
                )
            )
    if active and place.section.archived:
        raise DomainError(
            say(
                "Section %(section)s is archived: an admin brings it back first.",
                section=place.section.name,
            )
        )
    place.active = active
    session.flush()
    return place


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
