"""What the API's writes share: ids and numbers of copies as the models check them, and
the services' names for values said as each operation names them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field

from tracker.domain.errors import DomainError
from tracker.domain.stock import MAX_QTY

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


def an_id(description: str | None = None, **extra: Any) -> Any:
    """A record's id: a whole number the database can hold."""
    return Field(ge=1, le=2**31 - 1, description=description, **extra)


def many(default: Any = ..., *, zero: bool = False, description: str | None = None) -> Any:
    """A number of copies: from 1 (or 0, ``zero``) to the most one move may take, the
    domain's rule (``tracker.domain.stock.quantity_problem``)."""
    return Field(default, ge=0 if zero else 1, le=MAX_QTY, description=description)


@contextmanager
def named(**names: str) -> Iterator[None]:
    """Say a service's name for a value (``when``) as this operation names it
    (``dispatched_at``) in the errors raised inside."""
    try:
        yield
    except DomainError as error:
        if error.field:
            head, dot, rest = error.field.partition(".")
            error.field = names.get(head, head) + dot + rest
        raise
