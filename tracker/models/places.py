"""Where copies can be: countries, national sections, and locations.

A location is physical (the warehouse, a section's store, an event's table) or virtual:
the world outside, seen from the ledger (the printer, in transit, customers, written
off, stocktake differences). Sources are the two virtual kinds whose balance may go
negative because copies come *from* them into the world: the printer and stocktake
differences. Every other location, virtual or not, never holds fewer than zero copies.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, sql_in
from tracker.domain.places import (
    PHYSICAL_KINDS,
    SOURCE_KINDS,
    LocationKind,
)
from tracker.domain.words import say

if TYPE_CHECKING:
    from tracker.models.accounts import User

# A section's own physical places, which must belong to it.
_SECTION_PLACES = (LocationKind.SECTION_STORE, LocationKind.EVENT_TABLE)


class Country(Base):
    """A country, by its ISO 3166-1 alpha-2 code."""

    __tablename__ = "countries"
    __table_args__ = (CheckConstraint("length(code) = 2", "code_length"),)

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    sections: Mapped[list[Section]] = relationship(back_populates="country")

    def __repr__(self) -> str:
        return f"<Country {self.code}>"


class Section(Base):
    """A national section: it receives copies, holds events, and works in one currency."""

    __tablename__ = "sections"
    __table_args__ = (
        CheckConstraint("length(currency) = 3", "currency_length"),
        CheckConstraint(
            "alert_weeks_of_cover IS NULL OR alert_weeks_of_cover >= 0", "alert_weeks_ok"
        ),
        CheckConstraint("alert_copies IS NULL OR alert_copies >= 0", "alert_copies_ok"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("countries.code"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    # The dashboard's alerts for this section, when an admin set them apart from the
    # defaults (``Settings``): fewer weeks of cover, or fewer copies on hand, than these.
    alert_weeks_of_cover: Mapped[int | None] = mapped_column(Integer)
    alert_copies: Mapped[int | None] = mapped_column(Integer)
    # The language its people read, until each chooses one (a code: "sv", "ur").
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    # Its time zone (IANA: "Asia/Karachi"): what it dates is entered and shown there.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Whom the publisher writes to or rings about the section's parcels and money.
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # An archived section is offered nowhere new (shipments, events, transfers, accounts)
    # but keeps its history and stays in every report.
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    country: Mapped[Country] = relationship(back_populates="sections")
    locations: Mapped[list[Location]] = relationship(
        back_populates="section", order_by="Location.id"
    )

    def location_of_kind(self, kind: LocationKind) -> Location:
        """The section's own location of a virtual kind (every section has one of each)."""
        for location in self.locations:
            if location.kind == kind:
                return location
        raise LookupError(f"section {self.name} has no {kind.label} location")

    def __repr__(self) -> str:
        return f"<Section {self.name!r}>"


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(LocationKind)}", "kind_known"),
        # A section's store and its event tables belong to it; the warehouse to nobody.
        CheckConstraint(
            f"kind NOT IN {sql_in(_SECTION_PLACES)} OR section_id IS NOT NULL",
            "section_places_have_section",
        ),
        CheckConstraint(
            f"kind <> '{LocationKind.WAREHOUSE}' OR section_id IS NULL", "warehouse_has_no_section"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short unique handle for commands and URLs: 'WH', 'GB-STORE', 'GB-TRANSIT'...
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # Where parcels go (stores, the warehouse): printed on packing slips.
    address: Mapped[str | None] = mapped_column(Text)

    section: Mapped[Section | None] = relationship(back_populates="locations")

    @property
    def kind_enum(self) -> LocationKind:
        return LocationKind(self.kind)

    @property
    def is_physical(self) -> bool:
        return self.kind in PHYSICAL_KINDS

    @property
    def is_source(self) -> bool:
        return self.kind in SOURCE_KINDS

    @property
    def kind_label(self) -> str:
        return LocationKind(self.kind).label

    @property
    def label(self) -> str:
        """How messages name it: its name and code."""
        return f"{self.name} ({self.code})"

    @property
    def owner(self) -> str:
        """Whose place it is, as messages say it, in the reader's language."""
        if self.section:
            return say("section %(name)s", name=self.section.name)
        return say("the publisher")

    def __repr__(self) -> str:
        return f"<Location {self.code}>"


class ClosedMonth(Base):
    """A calendar month of a section whose books are closed (its statement settled):
    nothing may be dated into it until an admin reopens it. Closing and reopening are
    in the audit trail (the row made, the row removed)."""

    __tablename__ = "closed_months"

    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), primary_key=True)
    # The month's first day.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    section: Mapped[Section] = relationship()
    closed_by: Mapped[User | None] = relationship()
