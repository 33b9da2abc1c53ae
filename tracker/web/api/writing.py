"""What the API's writes share: ids and numbers of copies as the models check them, and
the services' names for values said as each operation names them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import Field

from tracker.domain.errors import DomainError
from tracker.domain.stock import MAX_QTY
from tracker.web.api.schemas import Day, Moment

__all__ = ["Day", "Moment", "an_id", "many"]


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
