"""What the tracker takes from people, whatever sends it: ids, days and addresses.

One way to read each kind of value, so that every form, address and command refuses
the same things with the same words:

* **ids**: ASCII digits, from 1 to the largest id the database keeps (most ids are
  32-bit integers on PostgreSQL; moves and audit entries are 64-bit). In a path, an id
  that is not one matches no route (404: ``<int:...>`` is this module's converter); in
  a query string or a form, it is refused with a message that names the field (400).
* **days**: from 1 January 1900 to five years ahead; a day in the future where none
  makes sense is each service's rule.
* **addresses**: a path or query string holding a control character (NUL...) is
  refused (400) before any view reads it.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from tracker.domain.errors import BadRequest, DomainError
from tracker.domain.text import control_character

MAX_ID = 2**31 - 1  # ids of most tables: PostgreSQL's INTEGER
MAX_BIG_ID = 2**63 - 1  # moves and audit entries: BIGINT
_ID = re.compile(r"[0-9]{1,19}")

EARLIEST_DAY = date(1900, 1, 1)
YEARS_AHEAD = 5


def parse_id(value: object, *, big: bool = False) -> int | None:
    """The id written in ``value`` (ASCII digits, 1 to the database's largest), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= (MAX_BIG_ID if big else MAX_ID) else None


# A whole number as people type it: ASCII digits, thousands set apart by commas or
# spaces in groups of three (1,000 or 12 000), or by nothing.
_WHOLE = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]{1,18})")


def parse_whole(value: object) -> int | None:
    """The whole number written in ``value``, or None when it is not one (other
    scripts' digits, "1_000", "1.5", "1e3" and "1,5" are not)."""
    text = str(value).strip()
    if not _WHOLE.fullmatch(text):
        return None
    return int(text.replace(",", "").replace(" ", ""))


def id_problem(name: str, value: str) -> str:
    shown = value if len(value) <= 30 else value[:30] + "..."
    return f"{name}={shown!r} is not an id: ids are whole numbers from 1 to {MAX_ID:,}."


def query_id(name: str, *, big: bool = False) -> int | None:
    """The id in the query string's ``name`` (None when absent or empty); a 400 that
    names the argument when it is not an id."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    number = parse_id(raw, big=big)
    if number is None:
        raise BadRequest(f"In the address, {id_problem(name, raw)}")
    return number


class IdConverter(IntegerConverter):
    """``<int:...>`` in a route: ASCII digits from 1 to the largest 32-bit id. Anything
    else matches no route, so the address answers 404 rather than reaching the
    database with a number it cannot hold."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


def latest_day(today: date | None = None) -> date:
    today = today or date.today()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def day_problem(day: date, what: str = "The date") -> str | None:
    """Why ``day`` is no date the tracker takes, or None."""
    if day < EARLIEST_DAY:
        return f"{what} ({day.isoformat()}) is too long ago: give a date from 1900 on."
    latest = latest_day()
    if day > latest:
        return f"{what} ({day.isoformat()}) is too far ahead: give a date up to {latest:%-d %b %Y}."
    return None


def check_day(day: date | None, what: str = "The date") -> date | None:
    """``day`` when it is one the tracker takes; a DomainError saying why not."""
    if day is not None:
        problem = day_problem(day.date() if hasattr(day, "date") else day, what)
        if problem:
            raise DomainError(problem)
    return day


def _refuse_control_characters() -> None:
    places = [("path", request.path)]
    for key, values in request.args.lists():
        named = "query" if control_character(key) else f"{key}= argument"
        places += [(named, text) for text in [key, *values]]
    for where, value in places:
        # Tabs and line breaks are harmless in an address (and come in pasted links).
        bad = control_character(value, multiline=where != "path")
        if bad:
            raise BadRequest(
                f"The address holds a control character ({bad}) in its {where}: "
                "check the link or what was typed into it."
            )


def init_app(app: Flask) -> None:
    # Before any route is added: the rules take the converter when they are made.
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_control_characters)
