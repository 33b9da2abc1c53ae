"""What a row names, found once for the whole file: places (by id, code or name) and
editions (by ISBN or id); and the values a cell holds (days, moments, numbers)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain.accounts import Actor, may_see
from tracker.domain.errors import DomainError
from tracker.domain.isbn import normalize_isbn
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition
from tracker.domain.values import parse_id, parse_whole
from tracker.domain.words import say
from tracker.models import Edition, Location, Section
from tracker.services.imports import Column


def _name_key(text: str) -> str:
    return " ".join(text.casefold().split())


class Places:
    """The places of ``kinds`` the actor may act on (a treasurer: their section's), by
    id, code and name. Another section's place is unknown, as it is on the forms."""

    def __init__(self, session: Session, actor: Actor | None, kinds: Collection[str]):
        self.by_id: dict[int, Location] = {}
        self.by_code: dict[str, Location] = {}
        self.by_name: dict[str, list[Location]] = defaultdict(list)
        for place in session.scalars(select(Location).where(Location.kind.in_(list(kinds)))):
            if not may_see(actor, place.section_id):
                continue
            self.by_id[place.id] = place
            self.by_code[place.code.upper()] = place
            self.by_name[_name_key(place.name)].append(place)
        # What each text named, as found (rows of a file name the same few places).
        self.found: dict[str, Location] = {}

    def find(self, text: str) -> Location:
        found = self.found.get(text)
        if found is None:
            found = self.found[text] = self._find(text)
        return found

    def _find(self, text: str) -> Location:
        number = parse_id(text)
        if number is not None and number in self.by_id:
            return self.by_id[number]
        found = self.by_code.get(text.strip().upper())
        if found is not None:
            return found
        named = self.by_name.get(_name_key(text), [])
        if len(named) > 1:
            raise DomainError(
                say(
                    "Several places are named %(name)s: give the place's code or id.",
                    name=repr(text),
                )
            )
        if not named:
            raise DomainError(say("There is no place %(place)s.", place=repr(text)))
        return named[0]


class Sections:
    """Sections the actor may see, by id and name."""

    def __init__(self, session: Session, actor: Actor | None):
        self.by_id: dict[int, Section] = {}
        self.by_name: dict[str, Section] = {}
        for section in session.scalars(select(Section)):
            if may_see(actor, section.id):
                self.by_id[section.id] = section
                self.by_name[_name_key(section.name)] = section

    def find(self, text: str) -> Section:
        number = parse_id(text)
        if number is not None and number in self.by_id:
            return self.by_id[number]
        found = self.by_name.get(_name_key(text))
        if found is None:
            raise DomainError(say("There is no section %(section)s.", section=repr(text)))
        return found


def edition_column() -> Column:
    """The ``edition`` column, as every kind that names an edition reads it (``Editions``)."""
    return Column("edition", True, say("The edition: its ISBN, or its id."), "9781913026868")


def condition_column(example: str) -> Column:
    """The ``condition`` column, as ``condition_of`` reads it."""
    return Column("condition", False, say("unsigned (the default) or signed."), example)


class Editions:
    """Editions by ISBN (13 digits, or an ISBN-10) or id."""

    def __init__(self, session: Session):
        self.by_id: dict[int, Edition] = {}
        self.by_isbn: dict[str, Edition] = {}
        for edition in session.scalars(select(Edition)):
            self.by_id[edition.id] = edition
            self.by_isbn[edition.isbn] = edition
        # What each text named, as found (rows of a file name the same few editions).
        self.found: dict[str, Edition] = {}

    def find(self, text: str) -> Edition:
        found = self.found.get(text)
        if found is None:
            found = self.found[text] = self._find(text)
        return found

    def _find(self, text: str) -> Edition:
        digits = re.sub(r"[\s-]", "", text)
        if len(digits) < 10:
            number = parse_id(digits)
            if number is not None and number in self.by_id:
                return self.by_id[number]
            raise DomainError(say("There is no edition %(edition)s.", edition=repr(text)))
        found = self.by_isbn.get(normalize_isbn(text))
        if found is None:
            raise DomainError(say("There is no edition with ISBN %(isbn)s.", isbn=text))
        return found


_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def day_of(text: str) -> date:
    """A day written as ISO 8601 (2026-05-01), as CSV files and the templates write it."""
    match = _DAY.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise DomainError(
            say("%(value)s is not a day: write it as 2026-05-01.", value=repr(text))
        ) from None


def moment_of(day_text: str, time_text: str = "") -> date | datetime:
    """A day, with a time of day when given (in the day's cell after a space, or in its
    own cell): a moment in UTC. A day alone is a day (the services date it)."""
    day_part, _, rest = day_text.strip().partition(" ")
    day_part, _, after_t = day_part.partition("T")
    rest = rest or after_t
    when = day_of(day_part)
    clock = (time_text or rest).strip()
    if not clock:
        return when
    match = _TIME.fullmatch(clock)
    try:
        if match is None:
            raise ValueError
        at = time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        raise DomainError(
            say("%(value)s is not a time of day: write it as 14:30.", value=repr(clock))
        ) from None
    return datetime.combine(when, at)


def whole(text: str) -> int:
    """A number as written (1,000 and 1 000 allowed); what numbers of copies may be is
    the services' rule (``domain.stock.check_quantity``)."""
    number = parse_whole(text)
    if number is None:
        raise DomainError(say("%(value)s is not a whole number.", value=repr(text)))
    return number


def condition_of(text: str) -> str:
    if not text:
        return Condition.UNSIGNED.value
    value = text.strip().lower()
    if value not in (Condition.UNSIGNED, Condition.SIGNED):
        raise DomainError(
            say("%(value)s is not a condition (unsigned or signed).", value=repr(text))
        )
    return value


SELLING_PLACES = (LocationKind.SECTION_STORE, LocationKind.EVENT_TABLE)
