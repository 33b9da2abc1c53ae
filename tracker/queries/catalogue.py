"""What is sold, as pages list it: the editions, in the order people read them (all of
them for reports, the active ones where an edition is chosen), and the catalogue's
titles with their editions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.domain.errors import DomainError
from tracker.domain.isbn import normalize_isbn
from tracker.models import (
    Author,
    Edition,
    Move,
    Title,
    title_authors,
)


def list_editions(
    session: Session, *, choosable: bool = False, keep: Iterable[int] = ()
) -> list[Edition]:
    """Every edition, by title, language and format. ``choosable``: only those that may
    be chosen on a form (not archived), with those in ``keep`` besides (already on the
    document being edited, or held where copies are counted)."""
    query = (
        select(Edition)
        .join(Edition.title)
        .options(joinedload(Edition.title))
        .order_by(Title.name, Edition.language, Edition.format)
    )
    if choosable:
        kept = [i for i in keep if i is not None]
        query = query.where(
            or_(Edition.active.is_(True), Edition.id.in_(kept)) if kept else Edition.active
        )
    return list(session.scalars(query))


def catalogue(session: Session, search: str | None = None) -> list[Title]:
    """The titles, by name, with their authors and editions (and each edition's other
    list prices); those whose name, subtitle or author holds ``search``, or with an
    edition whose ISBN holds its digits (an ISBN-10 is looked for as its ISBN-13)."""
    query = (
        select(Title)
        .options(
            selectinload(Title.authors),
            selectinload(Title.editions).selectinload(Edition.other_prices),
        )
        .order_by(Title.name, Title.id)
    )
    text = (search or "").strip()
    if text:
        query = query.where(_matches(text))
    return list(session.scalars(query))


def _matches(text: str):
    lowered = text.lower()
    wanted = [
        func.lower(Title.name).contains(lowered, autoescape=True),
        func.lower(Title.subtitle).contains(lowered, autoescape=True),
        exists(
            select(1)
            .select_from(title_authors.join(Author))
            .where(
                title_authors.c.title_id == Title.id,
                func.lower(Author.name).contains(lowered, autoescape=True),
            )
        ),
    ]
    digits = _isbn_digits(text)
    if digits:
        wanted.append(
            exists(select(1).where(Edition.title_id == Title.id, Edition.isbn.contains(digits)))
        )
    return or_(*wanted)


def _isbn_digits(text: str) -> str | None:
    """What of a search could be (part of) an ISBN: a whole ISBN-10 as its ISBN-13,
    else three digits or more, hyphens and spaces aside."""
    digits = text.replace("-", "").replace(" ", "")
    if len(digits) == 10:
        try:
            return normalize_isbn(digits)
        except DomainError:
            pass
    if len(digits) >= 3 and digits.isascii() and digits.isdigit():
        return digits
    return None


def has_moved(session: Session, edition_id: int) -> bool:
    """Whether the ledger holds any move of an edition (its copies have moved)."""
    return bool(session.scalar(select(exists().where(Move.edition_id == edition_id))))


def editions_moved(session: Session, edition_ids: Iterable[int]) -> set[int]:
    """Which of the editions have moved copies (one query, an index probe each)."""
    ids = list(edition_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Edition.id).where(
                Edition.id.in_(ids), exists().where(Move.edition_id == Edition.id)
            )
        )
    )
