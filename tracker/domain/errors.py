"""Errors of the domain: raised by the ledger and the services, shown to people as they are.

Each message says what is wrong and where, in words a treasurer understands; views turn
them into a flashed message or a 4xx page, the CLI into one line on stderr.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime


class DomainError(Exception):
    """A rule of the tracker refused an action; nothing was written."""

    status_code = 422
    # Which of the values sent the error is about, as a program names it
    # (``lines[1].qty``), when the service knows: set by ``about``.
    field: str | None = None

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


@contextmanager
def about(name: str) -> Iterator[None]:
    """Name the value a DomainError raised inside is about: ``name``, or, around a more
    precise name already given, the path to it (``lines[1]`` around ``qty`` makes
    ``lines[1].qty``)."""
    try:
        yield
    except DomainError as error:
        error.field = name if error.field is None else f"{name}.{error.field}"
        raise


class BadRequest(DomainError):
    """A request that cannot be answered as asked (a filter or a format that is not one)."""

    status_code = 400


class NotFound(DomainError):
    status_code = 404


class InvalidMove(DomainError):
    """A move that can never be valid: bad quantity, unknown place, wrong kind of place."""


class InsufficientStock(DomainError):
    """Fewer copies at a location than a posting asked to take."""

    status_code = 409

    def __init__(self, *, location: str, edition: str, condition: str, there: int, asked: int):
        self.location = location
        self.edition = edition
        self.condition = condition
        self.there = there
        self.asked = asked
        copies = "copy" if there == 1 else "copies"
        super().__init__(
            f"Not enough stock at {location}: {edition}, {condition}: "
            f"{there} {copies} there, {asked} asked."
        )


class NotThereThen(DomainError):
    """A posting dated in the past would take copies from a place that, replayed in the
    order things happened, did not hold them at that moment."""

    status_code = 409

    def __init__(
        self,
        *,
        location: str,
        edition: str,
        condition: str,
        there: int,
        on: datetime,
        arrived: int | None = None,
        arrived_on: datetime | None = None,
    ):
        self.location = location
        self.edition = edition
        self.condition = condition
        self.there = there
        self.on = on
        self.arrived = arrived
        self.arrived_on = arrived_on
        copies = "copy" if there == 1 else "copies"
        were = "was" if there == 1 else "were"
        message = (
            f"Only {there} {condition} {copies} of {edition} {were} at {location} on {on:%d %b %Y}"
        )
        if arrived and arrived_on is not None:
            message += (
                f"; {arrived} arrived there on {arrived_on:%d %b %Y}. Date it on or after "
                f"{arrived_on:%d %b %Y %H:%M}, or first record where the copies came from."
            )
        else:
            message += "."
        super().__init__(message)


class PeriodClosed(DomainError):
    """A document dated into a month whose books are closed."""

    status_code = 409


class AlreadyReversed(DomainError):
    status_code = 409
