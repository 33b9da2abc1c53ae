"""What is sold: titles, their authors, and the editions that are printed and counted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, MinorUnits, sql_in
from tracker.domain.catalogue import EditionFormat
from tracker.domain.money import from_minor
from tracker.domain.words import language_name, say, say_mark

# How people name an edition: one pattern of the reader's language, which orders the
# title, the language and the format as it needs.
EDITION_LABEL = say_mark("%(title)s (%(language)s %(format)s)")

title_authors = Table(
    "title_authors",
    Base.metadata,
    Column("title_id", ForeignKey("titles.id", ondelete="CASCADE"), primary_key=True),
    Column("author_id", ForeignKey("authors.id"), primary_key=True),
    Column("position", Integer, nullable=False, default=0),
)


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    def __repr__(self) -> str:
        return f"<Author {self.name!r}>"


class Title(Base):
    __tablename__ = "titles"
    # One title of a name per publisher: a form sent twice makes one.
    __table_args__ = (Index("ix_titles_name_publisher", "name", "publisher", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    subtitle: Mapped[str | None] = mapped_column(String(300))
    publisher: Mapped[str] = mapped_column(String(200))

    authors: Mapped[list[Author]] = relationship(
        secondary=title_authors, order_by=title_authors.c.position
    )
    editions: Mapped[list[Edition]] = relationship(back_populates="title", order_by="Edition.id")

    @property
    def author_names(self) -> str:
        return " and ".join(a.name for a in self.authors)

    def __repr__(self) -> str:
        return f"<Title {self.name!r}>"


class Edition(Base):
    """A printed edition: one ISBN, one language, one format, one list price."""

    __tablename__ = "editions"
    __table_args__ = (
        CheckConstraint("length(isbn) = 13", "isbn_length"),
        CheckConstraint(f"format IN {sql_in(EditionFormat)}", "format_known"),
        CheckConstraint("list_price_minor >= 0", "list_price_not_negative"),
        CheckConstraint("length(currency) = 3", "currency_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("titles.id"), index=True)
    isbn: Mapped[str] = mapped_column(String(13), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    # The title in the edition's own language and script ("Lenin کے دفاع میں").
    own_title: Mapped[str | None] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(16))
    # The list price in the currency's minor unit (pence, öre, centavos...).
    list_price_minor: Mapped[int] = mapped_column(MinorUnits)
    currency: Mapped[str] = mapped_column(String(3))
    published_on: Mapped[date | None]
    # False once archived: no longer offered where an edition is chosen (shipments,
    # transfers, the sale screen, prices...), still in its history and the reports.
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())

    title: Mapped[Title] = relationship(back_populates="editions")
    # List prices in currencies other than ``currency``, one per currency.
    other_prices: Mapped[list[EditionListPrice]] = relationship(
        order_by="EditionListPrice.currency", cascade="all, delete-orphan"
    )

    @property
    def list_price(self) -> Decimal:
        return from_minor(self.list_price_minor, self.currency)

    @property
    def isbn_display(self) -> str:
        from tracker.domain.isbn import hyphenless_display

        return hyphenless_display(self.isbn)

    @property
    def language_name(self) -> str:
        """The edition's language in the reader's language: English, engelska, انگریزی."""
        return language_name(self.language)

    @property
    def format_label(self) -> str:
        """The edition's format in the reader's language: paperback, pocketbok."""
        return EditionFormat(self.format).label

    @property
    def label_values(self) -> dict[str, str]:
        """What ``EDITION_LABEL`` puts in: the title (as the publisher lists it), the
        edition's language and its format, in the reader's language."""
        return {
            "title": self.title.name,
            "language": self.language_name,
            "format": self.format_label,
        }

    @property
    def label(self) -> str:
        """How people name the edition: "In Defence of Lenin (English paperback)", in the
        reader's language (``EDITION_LABEL``). ``own_title`` is the edition's title in
        its language and script."""
        return say(EDITION_LABEL, **self.label_values)

    @property
    def own_name(self) -> str | None:
        """The edition's own title when it differs from the title's (shown beside it)."""
        own = (self.own_title or "").strip()
        return own if own and own != self.title.name else None

    def __repr__(self) -> str:
        return f"<Edition {self.isbn}>"


class EditionListPrice(Base):
    """A list price of an edition in another currency than its main one."""

    __tablename__ = "edition_list_prices"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", "price_not_negative"),
        CheckConstraint("length(currency) = 3", "currency_length"),
    )

    edition_id: Mapped[int] = mapped_column(
        ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    price_minor: Mapped[int] = mapped_column(MinorUnits)

    @property
    def price(self) -> Decimal:
        return from_minor(self.price_minor, self.currency)

    def __repr__(self) -> str:
        return f"<EditionListPrice {self.edition_id} {self.currency}>"
