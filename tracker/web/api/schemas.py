"""The shapes the API shares: problems, money, moments, pages.

Money is an object, ``{"amount": "12.50", "currency": "GBP"}``: the amount a decimal
string with as many decimals as the currency has minor units (never a float, so that
no program loses a penny to binary fractions). Moments are ISO 8601 with their offset,
in UTC (``2026-12-01T10:15:30Z``); days are ISO dates.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, overload

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from tracker.domain.money import plain

CURRENCY = r"^[A-Z]{3}$"
AMOUNT = r"^-?[0-9]+(\.[0-9]+)?$"


class Model(BaseModel):
    """A shape of the API: what is not declared is refused (a misspelt field is an
    error, not silently nothing)."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details: ``type`` is a short word (``not-found``,
    ``insufficient-stock``...), ``detail`` is for people, ``field`` names the value it is
    about when there is one (``lines[1].qty``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None


class FieldError(BaseModel):
    field: str = Field(description="Where: `lines[0].qty`, or a query parameter's name.")
    detail: str


class ValidationProblem(Problem):
    """A request that does not fit the operation: every field that is wrong."""

    errors: list[FieldError] = Field(default_factory=list)


class Money(Model):
    amount: str = Field(pattern=AMOUNT, examples=["12.50"])
    currency: str = Field(pattern=CURRENCY, examples=["GBP"])


@overload
def money(minor: int, currency: str) -> Money: ...
@overload
def money(minor: None, currency: str) -> None: ...
@overload
def money(minor: int | None, currency: str) -> Money | None: ...
def money(minor: int | None, currency: str) -> Money | None:
    """An amount in minor units as the API writes it."""
    return None if minor is None else Money(amount=plain(minor, currency), currency=currency)


@overload
def moment(value: datetime) -> datetime: ...
@overload
def moment(value: None) -> None: ...
@overload
def moment(value: datetime | None) -> datetime | None: ...
def moment(value: datetime | None) -> datetime | None:
    """A moment as the API writes it: in UTC (pydantic writes it in ISO 8601, ``Z``)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def id_filter(description: str | None = None) -> Any:
    """A filter by a record's number (a query parameter; none: any)."""
    return Field(None, ge=1, le=2**31 - 1, description=description)


class Paging(Model):
    """A list's page: at most ``limit`` items from ``cursor`` (the ``next`` of the page
    before; none: the first page)."""

    limit: int = Field(50, ge=1, le=200, description="Items per page, 1 to 200.")
    cursor: str | None = Field(
        None, max_length=200, description="`next` of the page before; none: the first page."
    )


class EditionRef(Model):
    id: int
    isbn: str = Field(examples=["9781913026530"])
    title: str
    language: str = Field(description="ISO 639 code of the edition's language.")
    format: str


class SectionRef(Model):
    id: int
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2 code.", examples=["GB"])
    currency: str = Field(pattern=CURRENCY)


class EventRef(Model):
    id: int
    name: str
    starts_on: date
    ends_on: date


class PlaceRef(Model):
    id: int
    name: str
    kind: str = Field(examples=["section_store", "event_table", "warehouse"])
    section: SectionRef | None = Field(description="None: the publisher's (the warehouse).")


def edition_ref(edition: Any) -> EditionRef:
    return EditionRef(
        id=edition.id,
        isbn=edition.isbn,
        title=edition.title.name,
        language=edition.language,
        format=edition.format,
    )


def section_ref(section: Any) -> SectionRef:
    return SectionRef(
        id=section.id, name=section.name, country=section.country_code, currency=section.currency
    )


def event_ref(event: Any) -> EventRef:
    return EventRef(id=event.id, name=event.name, starts_on=event.starts_on, ends_on=event.ends_on)


def place_ref(place: Any) -> PlaceRef:
    return PlaceRef(
        id=place.id,
        name=place.name,
        kind=place.kind,
        section=None if place.section is None else section_ref(place.section),
    )


# Days and moments sent to the API: ISO 8601 text only.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T.*")


def _written(pattern: re.Pattern[str], example: str) -> Any:
    """Only the ISO 8601 text itself: not a number of seconds since 1970, which the
    models would otherwise take for a moment."""

    def check(value: object) -> object:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"write it in ISO 8601, such as {example}")
        return value

    return BeforeValidator(check)


Day = Annotated[date, _written(_DAY, "2026-12-01")]
"""A day, as ``2026-12-01``."""
Moment = Annotated[AwareDatetime, _written(_MOMENT, "2026-12-01T10:15:30Z")]
"""A moment with its offset from UTC, as ``2026-12-01T10:15:30Z``."""
