"""Titles, authors and editions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain.catalogue import EditionFormat
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.isbn import normalize_isbn13
from tracker.domain.money import MAX_PRICE_MINOR, check_currency, to_minor
from tracker.domain.text import clean
from tracker.domain.values import check_day
from tracker.domain.words import say
from tracker.models import Author, Edition, Title, title_authors


def _required(value: str | None, what: str, limit: int) -> str:
    """A text that must be given; ``what`` as ``clean`` takes it: ``say("the title")``."""
    return clean(value, what, limit, required=True)


def get_or_create_author(session: Session, name: str) -> Author:
    name = _required(name, say("the author's name"), 200)
    author = session.scalar(select(Author).where(Author.name == name))
    if author is None:
        author = Author(name=name)
        session.add(author)
        session.flush()
    return author


def create_title(
    session: Session,
    *,
    name: str,
    authors: list[str],
    subtitle: str | None = None,
    publisher: str = "Wellred Books",
) -> Title:
    name = _required(name, say("the title"), 300)
    if not authors:
        raise DomainError(say("The title %(name)s needs at least one author.", name=repr(name)))
    title = Title(
        name=name,
        subtitle=clean(subtitle, say("the subtitle"), 300),
        publisher=_required(publisher, say("the publisher"), 200),
    )
    session.add(title)
    session.flush()
    for position, author_name in enumerate(authors):
        author = get_or_create_author(session, author_name)
        session.execute(
            title_authors.insert().values(title_id=title.id, author_id=author.id, position=position)
        )
    session.expire(title, ["authors"])
    return title


def check_language(code: str) -> str:
    """A language tag Babel knows (``en``, ``es``, ``ur``, ``pt_BR``...)."""
    text = (code or "").strip().replace("-", "_")
    try:
        Locale.parse(text)
    except (ValueError, UnknownLocaleError):
        raise DomainError(
            say("%(code)s is not a language code (such as en, es, ur, sv).", code=repr(code))
        ) from None
    return text


def create_edition(
    session: Session,
    *,
    title: Title,
    isbn: str,
    language: str,
    format: str,
    list_price: Decimal | str,
    currency: str,
    published_on: date | None = None,
) -> Edition:
    digits = normalize_isbn13(isbn)
    existing = session.scalar(select(Edition).where(Edition.isbn == digits))
    if existing is not None:
        raise DomainError(
            say(
                "ISBN %(isbn)s is already the edition %(edition)s.",
                isbn=digits,
                edition=existing.label,
            )
        )
    try:
        edition_format = EditionFormat(format)
    except ValueError:
        known = ", ".join(f.value for f in EditionFormat)
        raise DomainError(
            say(
                "%(format)s is not an edition format (%(known)s).", format=repr(format), known=known
            )
        ) from None
    currency = check_currency(currency)
    minor = to_minor(list_price, currency, limit=MAX_PRICE_MINOR, what=say("a list price"))
    check_day(published_on, say("The publication date"))
    if minor < 0:
        raise DomainError(
            say(
                "The list price cannot be negative (%(price)s %(currency)s).",
                price=list_price,
                currency=currency,
            )
        )
    edition = Edition(
        title=title,
        isbn=digits,
        language=check_language(language),
        format=edition_format.value,
        list_price_minor=minor,
        currency=currency,
        published_on=published_on,
    )
    session.add(edition)
    session.flush()
    return edition


def edition_by_isbn(session: Session, isbn: str) -> Edition:
    digits = normalize_isbn13(isbn)
    edition = session.scalar(select(Edition).where(Edition.isbn == digits))
    if edition is None:
        raise NotFound(say("There is no edition with ISBN %(isbn)s.", isbn=digits))
    return edition
