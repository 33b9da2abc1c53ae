"""Titles, authors and editions: made and changed by an admin (the catalogue's pages, the
``tracker catalogue`` command), with the same rules either way.

An edition's ISBN is kept as 13 digits (an ISBN-10 is taken as the ISBN-13 it became)
and cannot change once copies of the edition have moved. An edition has a main list
price (its ``currency``) and may have list prices in other currencies. Archiving an
edition takes it out of what forms offer; its history and reports stay. An edition
whose copies never moved, named by no other record, may be deleted.

Every change is in the audit trail with before and after: the columns by the flush
hook, a title's authors (kept in a table of their own) by an entry here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import audit
from tracker.db import Base
from tracker.domain.accounts import CATALOGUE_KEEPERS, Actor, require_role
from tracker.domain.catalogue import (
    MAX_OTHER_PRICES,
    check_format,
    check_language,
)
from tracker.domain.errors import DomainError, NotFound, about
from tracker.domain.isbn import normalize_isbn
from tracker.domain.money import MAX_PRICE_MINOR, check_currency, to_minor
from tracker.domain.text import clean
from tracker.domain.values import check_day
from tracker.domain.words import say
from tracker.models import Author, Edition, EditionListPrice, Title, title_authors
from tracker.queries.catalogue import has_moved
from tracker.services import atomic, change_once

DEFAULT_PUBLISHER = "Wellred Books"


def _required(value: str | None, what: str, limit: int) -> str:
    return clean(value, what, limit, required=True)


def _may_change(actor: Actor | None) -> None:
    require_role(actor, CATALOGUE_KEEPERS, say("Only an admin changes the catalogue."))


def get_or_create_author(session: Session, name: str) -> Author:
    name = _required(name, say("the author's name"), 200)
    author = session.scalar(select(Author).where(Author.name == name))
    if author is None:
        author = Author(name=name)
        session.add(author)
        session.flush()
    return author


def get_title(session: Session, title_id: int) -> Title:
    title = session.get(Title, title_id)
    if title is None:
        raise NotFound(say("There is no title %(id)s.", id=title_id))
    return title


def get_edition(session: Session, edition_id: int) -> Edition:
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFound(say("There is no edition %(id)s.", id=edition_id))
    return edition


# -- titles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TitleDetails:
    """A title as typed: its authors in the order the cover gives them."""

    name: str | None
    authors: Sequence[str]
    subtitle: str | None = None
    publisher: str | None = DEFAULT_PUBLISHER


def _checked_title(
    session: Session, details: TitleDetails, title_id: int | None
) -> tuple[dict[str, Any], list[str]]:
    """The title's columns and its authors' names, or a DomainError naming the field."""
    with about("name"):
        name = _required(details.name, say("the title"), 300)
    with about("subtitle"):
        subtitle = clean(details.subtitle, say("the subtitle"), 300)
    with about("publisher"):
        publisher = _required(details.publisher, say("the publisher"), 200)
    with about("authors"):
        authors = _authors(details.authors, name)
    same = session.scalar(
        select(Title).where(
            func.lower(Title.name) == name.lower(),
            func.lower(Title.publisher) == publisher.lower(),
            Title.id != (title_id or 0),
        )
    )
    if same is not None:
        with about("name"):
            raise DomainError(
                say(
                    "There is already a title %(name)s from %(publisher)s.",
                    name=repr(same.name),
                    publisher=same.publisher,
                )
            )
    return {"name": name, "subtitle": subtitle, "publisher": publisher}, authors


def _authors(typed: Sequence[str], title: str) -> list[str]:
    names: list[str] = []
    for typed_name in typed:
        name = clean(typed_name, say("the author's name"), 200)
        if name is None:
            continue
        if name.lower() in (n.lower() for n in names):
            raise DomainError(say("%(name)s is named twice among the authors.", name=repr(name)))
        names.append(name)
    if not names:
        raise DomainError(say("The title %(name)s needs at least one author.", name=repr(title)))
    if len(names) > 20:
        raise DomainError(say("A title takes at most 20 authors."))
    return names


def _set_authors(session: Session, title: Title, names: list[str]) -> None:
    """Put the title's authors in this order, with an audit entry when they changed."""
    before = [a.name for a in title.authors] if title.id is not None else []
    if before == names:
        return
    authors = [get_or_create_author(session, name) for name in names]
    session.execute(delete(title_authors).where(title_authors.c.title_id == title.id))
    session.execute(
        insert(title_authors),
        [
            {"title_id": title.id, "author_id": author.id, "position": position}
            for position, author in enumerate(authors)
        ],
    )
    session.expire(title, ["authors"])
    audit.record(
        session,
        kind="title.authors",
        object_type="title",
        object_id=title.id,
        summary=f"Title {title.name}: authors {', '.join(names)}",
        before={"authors": before} if before else None,
        after={"authors": names},
    )


def _flushed(session: Session, what: str) -> None:
    """Flush; a key the database finds taken meanwhile (the same form sent twice at
    once) is said as the rule that checked it would."""
    try:
        session.flush()
    except IntegrityError:
        raise DomainError(
            say("%(what)s was saved by someone else meanwhile: look at it again.", what=what)
        ) from None


@atomic
def create_title(
    session: Session,
    actor: Actor | None = None,
    *,
    name: str | None,
    authors: Sequence[str],
    subtitle: str | None = None,
    publisher: str | None = DEFAULT_PUBLISHER,
) -> Title:
    _may_change(actor)
    values, names = _checked_title(
        session, TitleDetails(name, authors, subtitle, publisher), title_id=None
    )
    title = Title(**values)
    session.add(title)
    _flushed(session, values["name"])
    _set_authors(session, title, names)
    return title


@atomic
def update_title(
    session: Session, actor: Actor | None, title_id: int, details: TitleDetails
) -> Title:
    _may_change(actor)
    title = get_title(session, title_id)
    values, names = _checked_title(session, details, title_id=title.id)
    for key, value in values.items():
        setattr(title, key, value)
    _flushed(session, values["name"])
    _set_authors(session, title, names)
    return title


# -- editions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPrice:
    """A list price as typed: a currency and an amount (a line left empty is skipped)."""

    currency: str | None
    price: Decimal | str | None


@dataclass(frozen=True)
class EditionDetails:
    """An edition as typed."""

    isbn: str | None
    language: str | None
    format: str | None
    list_price: Decimal | str | None
    currency: str | None
    published_on: date | None = None
    own_title: str | None = None
    other_prices: Sequence[ListPrice] = ()


def _price(typed: Decimal | str | None, currency: str, what: str) -> int:
    """A list price in minor units: given, within bounds, not negative."""
    if typed is None or str(typed).strip() == "":
        raise DomainError(say("Give the list price in %(currency)s.", currency=currency))
    minor = to_minor(typed, currency, limit=MAX_PRICE_MINOR, what=what)
    if minor < 0:
        raise DomainError(
            say(
                "The list price cannot be negative (%(price)s %(currency)s).",
                price=typed,
                currency=currency,
            )
        )
    return minor


def _other_prices(lines: Sequence[ListPrice], main: str) -> dict[str, int]:
    """The list prices in other currencies: currency -> minor units. Each line's error
    names it (``other_prices[1].currency``)."""
    prices: dict[str, int] = {}
    for index, line in enumerate(lines):
        currency_typed = (line.currency or "").strip()
        price_typed = "" if line.price is None else str(line.price).strip()
        if not currency_typed and not price_typed:
            continue
        with about(f"other_prices[{index}]"):
            with about("currency"):
                if not currency_typed:
                    raise DomainError(say("Give the currency of this list price."))
                currency = check_currency(currency_typed)
                if currency == main:
                    raise DomainError(
                        say(
                            "%(currency)s is the edition's main currency: its list price is "
                            "given above.",
                            currency=currency,
                        )
                    )
                if currency in prices:
                    raise DomainError(
                        say("%(currency)s has two list prices: keep one.", currency=currency)
                    )
            with about("price"):
                prices[currency] = _price(line.price, currency, say("a list price"))
    if len(prices) > MAX_OTHER_PRICES:
        with about("other_prices"):
            raise DomainError(
                say(
                    "An edition takes at most %(most)s list prices in other currencies.",
                    most=MAX_OTHER_PRICES,
                )
            )
    return prices


def _checked_edition(
    session: Session, details: EditionDetails, edition: Edition | None
) -> tuple[dict[str, Any], dict[str, int]]:
    """The edition's columns and its other list prices, or a DomainError naming the
    field it is about."""
    with about("isbn"):
        isbn = _isbn(session, details.isbn, edition)
    with about("language"):
        language = check_language(details.language)
    with about("format"):
        edition_format = check_format(details.format)
    with about("currency"):
        currency = check_currency(details.currency or "")
    with about("list_price"):
        list_price = _price(details.list_price, currency, say("a list price"))
    with about("published_on"):
        check_day(details.published_on, say("The publication date"))
    with about("own_title"):
        own_title = clean(details.own_title, say("the edition's own title"), 300)
    values = {
        "isbn": isbn,
        "language": language,
        "format": edition_format,
        "list_price_minor": list_price,
        "currency": currency,
        "published_on": details.published_on,
        "own_title": own_title,
    }
    return values, _other_prices(details.other_prices, currency)


def _isbn(session: Session, typed: str | None, edition: Edition | None) -> str:
    if not (typed or "").strip():
        raise DomainError(say("Give the ISBN (13 digits, or 10 for an ISBN-10)."))
    digits = normalize_isbn(typed or "")
    existing = session.scalar(select(Edition).where(Edition.isbn == digits))
    if existing is not None and existing is not edition:
        raise DomainError(
            say(
                "ISBN %(isbn)s is already the edition %(edition)s.",
                isbn=digits,
                edition=existing.label,
            )
        )
    if edition is not None and digits != edition.isbn and has_moved(session, edition.id):
        raise DomainError(
            say(
                "The ISBN of %(edition)s cannot change: copies of it have moved, and the "
                "ledger knows them by it. For a new ISBN, add a new edition.",
                edition=edition.label,
            )
        )
    return digits


def _set_other_prices(session: Session, edition: Edition, prices: dict[str, int]) -> None:
    """Make the edition's other list prices these (each row added, changed or deleted
    is in the audit trail by the flush hook)."""
    kept = {p.currency: p for p in edition.other_prices}
    for currency, row in kept.items():
        if currency not in prices:
            session.delete(row)  # in the audit trail: an orphan's removal is not
            edition.other_prices.remove(row)
        elif row.price_minor != prices[currency]:
            row.price_minor = prices[currency]
    for currency, minor in prices.items():
        if currency not in kept:
            edition.other_prices.append(EditionListPrice(currency=currency, price_minor=minor))


@atomic
def create_edition(
    session: Session,
    actor: Actor | None = None,
    *,
    title: Title,
    isbn: str | None,
    language: str | None,
    format: str | None,
    list_price: Decimal | str | None,
    currency: str | None,
    published_on: date | None = None,
    own_title: str | None = None,
    other_prices: Sequence[ListPrice] = (),
) -> Edition:
    _may_change(actor)
    details = EditionDetails(
        isbn, language, format, list_price, currency, published_on, own_title, other_prices
    )
    values, prices = _checked_edition(session, details, None)
    edition = Edition(title=title, active=True, **values)
    session.add(edition)
    _flushed(session, say("ISBN %(isbn)s", isbn=values["isbn"]))
    _set_other_prices(session, edition, prices)
    session.flush()
    return edition


@atomic
def update_edition(
    session: Session, actor: Actor | None, edition_id: int, details: EditionDetails
) -> Edition:
    _may_change(actor)
    edition = get_edition(session, edition_id)
    values, prices = _checked_edition(session, details, edition)
    for key, value in values.items():
        setattr(edition, key, value)
    _set_other_prices(session, edition, prices)
    _flushed(session, say("ISBN %(isbn)s", isbn=values["isbn"]))
    return edition


@atomic
def set_edition_active(
    session: Session, actor: Actor | None, edition_id: int, active: bool
) -> tuple[Edition, bool]:
    """Archive an edition (``active`` False) or bring it back: (the edition, whether this
    call changed it). Archived, it is no longer offered where an edition is chosen; its
    moves, documents and reports stay as they are."""
    _may_change(actor)
    edition = get_edition(session, edition_id)
    changed = change_once(
        session,
        edition,
        Edition.active.is_(not active),
        {"active": active},
        "unarchived" if active else "archived",
    )
    return edition, changed


@atomic
def delete_edition(session: Session, actor: Actor | None, edition_id: int) -> str:
    """Delete an edition whose copies never moved and that no other record names (a
    draft shipment's line, a section's price...); its label. Anything else is archived
    instead."""
    _may_change(actor)
    edition = get_edition(session, edition_id)
    label = edition.label
    if has_moved(session, edition.id):
        raise DomainError(
            say(
                "%(edition)s cannot be deleted: copies of it have moved. Archive it instead.",
                edition=label,
            )
        )
    if _named_elsewhere(session, edition.id):
        raise DomainError(
            say(
                "%(edition)s cannot be deleted: other records name it (a shipment, a "
                "section's prices...). Archive it instead.",
                edition=label,
            )
        )
    session.delete(edition)
    session.flush()
    return label


def _named_elsewhere(session: Session, edition_id: int) -> bool:
    """Whether a row of any table but the edition's own list prices points at it."""
    for table in Base.metadata.sorted_tables:
        if table.name == EditionListPrice.__tablename__:
            continue
        for key in table.foreign_keys:
            if key.column.table.name == Edition.__tablename__:
                found = session.scalar(select(key.parent).where(key.parent == edition_id).limit(1))
                if found is not None:
                    return True
    return False


def edition_by_isbn(session: Session, isbn: str) -> Edition:
    digits = normalize_isbn(isbn)
    edition = session.scalar(select(Edition).where(Edition.isbn == digits))
    if edition is None:
        raise NotFound(say("There is no edition with ISBN %(isbn)s.", isbn=digits))
    return edition
