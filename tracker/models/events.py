"""Events where the book is sold and signed, the sales themselves, and the money that
follows: prices, remittances to the publisher, exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, DecimalText, MinorUnits, UTCDateTime, sql_in
from tracker.domain.events import EventKind, EventStatus, PaymentMethod, SaleSums, TallyKind
from tracker.domain.stock import Condition
from tracker.models.accounts import User
from tracker.models.catalogue import Author, Edition
from tracker.models.places import Location, Section
from tracker.models.stock import Document


class Event(Base):
    """A launch, a school, a bookstall...: its table is a location of the section."""

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(EventKind)}", "kind_known"),
        CheckConstraint(f"status IN {sql_in(EventStatus)}", "status_known"),
        CheckConstraint("ends_on >= starts_on", "ends_after_start"),
        CheckConstraint("expected_attendance IS NULL OR expected_attendance >= 0", "expected_ok"),
        CheckConstraint("actual_attendance IS NULL OR actual_attendance >= 0", "actual_ok"),
        CheckConstraint("counted_cash_minor IS NULL OR counted_cash_minor >= 0", "counted_ok"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    venue: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    expected_attendance: Mapped[int | None] = mapped_column(Integer)
    actual_attendance: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=EventStatus.OPEN.value)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The cash counted at the table when it closed (the section's currency): the event's
    # report sets it against the cash takings.
    counted_cash_minor: Mapped[int | None] = mapped_column(MinorUnits)
    # The one-time key of the form that made it: a form sent twice makes one event.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    section: Mapped[Section] = relationship()
    location: Mapped[Location] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == EventStatus.OPEN

    @property
    def kind_label(self) -> str:
        return EventKind(self.kind).label

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.name!r}>"


class Tally(Base):
    """A paper tally typed in after the fact: what a table or a store sold (or what the
    authors signed) at one go, by edition, condition and payment. It is one document;
    the sales or signings it stands for point at it, and their moves are dated when it
    happened."""

    __tablename__ = "tallies"
    __table_args__ = (CheckConstraint(f"kind IN {sql_in(TallyKind)}", "kind_known"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)

    document: Mapped[Document] = relationship()
    section: Mapped[Section] = relationship()
    location: Mapped[Location] = relationship()
    event: Mapped[Event | None] = relationship()

    @property
    def id(self) -> int:
        return self.document_id


class Sale(SaleSums, Base):
    """Copies sold to readers at one go: who paid what, how. A void is a reversal."""

    __tablename__ = "sales"
    # The posting's audit entry holds the sale (what, how much, how paid) and its void.
    __audit__ = False
    __table_args__ = (
        CheckConstraint(f"payment_method IN {sql_in(PaymentMethod)}", "payment_method_known"),
        CheckConstraint("length(currency) = 3", "currency_length"),
        CheckConstraint("(voided_at IS NULL) = (void_reason IS NULL)", "a_void_has_a_reason"),
        CheckConstraint("tendered_minor IS NULL OR tendered_minor >= 0", "tendered_ok"),
        # A sale screen's tally and its last sale: a place's sales, newest first, read at
        # every sale; without it each sale would read every sale ever made.
        Index("ix_sales_location_newest", "location_id", "document_id"),
        # An event's sales by when they happened: its report's pages and exports.
        Index("ix_sales_event_time", "event_id", "sold_at", "document_id"),
    )

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    payment_method: Mapped[str] = mapped_column(String(16))
    buyer_name: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    # When the copies changed hands (a sale recorded later says when it happened).
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The paper tally it was typed in with, if any.
    tally_id: Mapped[int | None] = mapped_column(ForeignKey("tallies.document_id"), index=True)

    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The reversal document that undid it.
    void_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    # Cash handed over by the reader (cash sales, when the screen asked): the change is
    # what it exceeds the total by.
    tendered_minor: Mapped[int | None] = mapped_column(MinorUnits)

    document: Mapped[Document] = relationship(foreign_keys=[document_id])
    section: Mapped[Section] = relationship()
    event: Mapped[Event | None] = relationship()
    location: Mapped[Location] = relationship()
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.id", cascade="all, delete-orphan"
    )

    @property
    def id(self) -> int:
        return self.document_id


class SaleTally(Base):
    """What a place has sold, by payment method (voided sales left out), kept with every
    sale and void: the sale screen shows it after every sale, and adding up every sale
    ever made there each time would grow with them."""

    __tablename__ = "sale_tallies"
    __audit__ = False
    __table_args__ = (
        CheckConstraint(f"payment_method IN {sql_in(PaymentMethod)}", "payment_method_known"),
        CheckConstraint("sales >= 0 AND copies >= 0 AND amount_minor >= 0", "not_negative"),
    )

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    payment_method: Mapped[str] = mapped_column(String(16), primary_key=True)
    sales: Mapped[int] = mapped_column(Integer)
    copies: Mapped[int] = mapped_column(Integer)
    # In the currency of the place's section.
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class SaleLine(Base):
    __tablename__ = "sale_lines"
    __audit__ = False
    __table_args__ = (
        CheckConstraint("qty > 0", "qty_positive"),
        CheckConstraint("unit_price_minor >= 0", "price_not_negative"),
        CheckConstraint(f"condition IN {sql_in(Condition)}", "condition_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.document_id"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    condition: Mapped[str] = mapped_column(String(8))
    qty: Mapped[int] = mapped_column(Integer)
    # What the reader paid for one copy, in the sale's currency.
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)

    sale: Mapped[Sale] = relationship(back_populates="lines")
    edition: Mapped[Edition] = relationship()


signing_authors = Table(
    "signing_authors",
    Base.metadata,
    Column("signing_id", ForeignKey("signings.document_id"), primary_key=True),
    Column("author_id", ForeignKey("authors.id"), primary_key=True, index=True),
)


class Signing(Base):
    """A signing session: copies turned from unsigned into signed on an event's table."""

    __tablename__ = "signings"
    __table_args__ = (CheckConstraint("qty > 0", "qty_positive"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"))
    qty: Mapped[int] = mapped_column(Integer)
    # The signing tally it was typed in with, if any.
    tally_id: Mapped[int | None] = mapped_column(ForeignKey("tallies.document_id"), index=True)

    document: Mapped[Document] = relationship()
    event: Mapped[Event] = relationship()
    edition: Mapped[Edition] = relationship()
    authors: Mapped[list[Author]] = relationship(secondary=signing_authors, order_by=Author.name)
    dedications: Mapped[list[Dedication]] = relationship(
        order_by="Dedication.id", cascade="all, delete-orphan"
    )

    @property
    def author_names(self) -> str:
        return " and ".join(a.name for a in self.authors)


class Dedication(Base):
    """A copy signed for someone by name."""

    __tablename__ = "dedications"

    id: Mapped[int] = mapped_column(primary_key=True)
    signing_id: Mapped[int] = mapped_column(ForeignKey("signings.document_id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))


class SectionPrice(Base):
    """What readers pay for an edition in a section, in the section's currency."""

    __tablename__ = "section_prices"
    __table_args__ = (CheckConstraint("price_minor >= 0", "price_not_negative"),)

    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), primary_key=True)
    price_minor: Mapped[int] = mapped_column(MinorUnits)

    section: Mapped[Section] = relationship()
    edition: Mapped[Edition] = relationship()


class Remittance(Base):
    """Money a section sends the publisher; distribution staff confirm its arrival."""

    __tablename__ = "remittances"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", "amount_positive"),
        CheckConstraint("length(currency) = 3", "currency_length"),
    )

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    sent_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str | None] = mapped_column(String(120))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    document: Mapped[Document] = relationship()
    section: Mapped[Section] = relationship()
    confirmed_by: Mapped[User | None] = relationship()

    @property
    def id(self) -> int:
        return self.document_id

    @property
    def method_label(self) -> str:
        try:
            return PaymentMethod(self.method).label
        except ValueError:
            return self.method


class ExchangeRate(Base):
    """How much of the publisher's currency one unit of ``currency`` was worth from
    ``valid_on``: entered by an admin, never fetched."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("currency", "valid_on"),
        CheckConstraint("length(currency) = 3", "currency_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    valid_on: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(DecimalText)
