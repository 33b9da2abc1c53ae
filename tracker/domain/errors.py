"""Errors of the domain: raised by the ledger and the services, shown to people as they are.

Each message says what is wrong and where, in words a treasurer understands; views turn
them into a flashed message or a 4xx page, the CLI into one line on stderr.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from tracker.domain.words import day, moment, say, say_n


class DomainError(Exception):
    """A rule of the tracker refused an action; nothing was written."""

    status_code = 422
    # The problem's ``type`` for programs (RFC 9457), when more precise than the
    # status's: ``insufficient-stock``.
    problem_type: str | None = None
    # Which of the values sent the error is about, as a program names it
    # (``lines[1].qty``), when the service knows: set by ``about``.
    field: str | None = None

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class _About:
    """``about``'s context: a plain class, as it is entered for every value of every
    sale (a generator's context costs several times more)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        if isinstance(error, DomainError):
            error.field = self.name if error.field is None else f"{self.name}.{error.field}"


def about(name: str) -> _About:
    """Name the value a DomainError raised inside is about: ``name``, or, around a more
    precise name already given, the path to it (``lines[1]`` around ``qty`` makes
    ``lines[1].qty``)."""
    return _About(name)


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
    problem_type = "insufficient-stock"

    def __init__(
        self,
        *,
        location: str,
        edition: str,
        condition: str,
        there: int,
        asked: int,
        edition_id: int | None = None,
    ):
        self.location = location
        self.edition = edition
        self.edition_id = edition_id
        self.condition = condition
        self.there = there
        self.asked = asked
        super().__init__(
            say_n(
                "Not enough stock at %(location)s: %(edition)s, %(condition)s: "
                "%(n)s copy there, %(asked)s asked.",
                "Not enough stock at %(location)s: %(edition)s, %(condition)s: "
                "%(n)s copies there, %(asked)s asked.",
                there,
                location=location,
                edition=edition,
                # The condition's word (``Condition.label``: marked in tracker.domain.stock).
                condition=say(condition),
                asked=asked,
            )
        )


class NotThereThen(DomainError):
    """A posting dated in the past would take copies from a place that, replayed in the
    order things happened, did not hold them at that moment."""

    status_code = 409
    problem_type = "not-there"

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
        edition_id: int | None = None,
    ):
        self.location = location
        self.edition = edition
        self.edition_id = edition_id
        self.condition = condition
        self.there = there
        self.on = on
        self.arrived = arrived
        self.arrived_on = arrived_on
        values = {
            "condition": say(condition),  # its word (``Condition.label``)
            "edition": edition,
            "location": location,
            "on": day(on),
        }
        if arrived and arrived_on is not None:
            message = say_n(
                "Only %(n)s %(condition)s copy of %(edition)s was at %(location)s on %(on)s; "
                "%(arrived)s arrived there on %(arrived_on)s. Date it on or after "
                "%(arrived_at)s, or first record where the copies came from.",
                "Only %(n)s %(condition)s copies of %(edition)s were at %(location)s on "
                "%(on)s; %(arrived)s arrived there on %(arrived_on)s. Date it on or after "
                "%(arrived_at)s, or first record where the copies came from.",
                there,
                arrived=arrived,
                arrived_on=day(arrived_on),
                arrived_at=moment(arrived_on),
                **values,
            )
        else:
            message = say_n(
                "Only %(n)s %(condition)s copy of %(edition)s was at %(location)s on %(on)s.",
                "Only %(n)s %(condition)s copies of %(edition)s were at %(location)s on %(on)s.",
                there,
                **values,
            )
        super().__init__(message)


@contextmanager
def about_line(lines: Sequence[tuple[int, str]]) -> Iterator[None]:
    """Name the line a shortage of copies is about (``lines[1]``): the first of
    ``lines`` (each line's edition and condition, in the order they were sent) whose
    copies the place lacked, now or at the moment the document is dated."""
    try:
        yield
    except (InsufficientStock, NotThereThen) as error:
        if error.field is None:
            for index, line in enumerate(lines):
                if line == (error.edition_id, error.condition):
                    error.field = f"lines[{index}]"
                    break
        raise


class PeriodClosed(DomainError):
    """A document dated into a month whose books are closed."""

    status_code = 409
    problem_type = "closed"


class AlreadyReversed(DomainError):
    status_code = 409
