"""What the tracker takes from people, whatever sends it (a form, an address, a command):
ids, whole numbers and days, read one way so that everything refuses the same things
with the same words.

* **ids**: ASCII digits, from 1 to the largest id the database keeps (most ids are
  32-bit integers on PostgreSQL; moves and audit entries are 64-bit).
* **whole numbers**: ASCII digits, thousands set apart by commas or spaces in groups of
  three; other scripts' digits, "1_000", "1.5" and "1,5" are not whole numbers.
* **days**: from 1 January 1900 to five years ahead; a day in the future where none
  makes sense is each service's rule.
"""

from __future__ import annotations

import re
from datetime import date

from tracker.domain.errors import DomainError
from tracker.domain.text import short_day
from tracker.domain.words import number, say

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
    return say(
        "%(name)s=%(value)s is not an id: ids are whole numbers from 1 to %(max)s.",
        name=name,
        value=repr(shown),
        max=number(MAX_ID),
    )


def latest_day(today: date | None = None) -> date:
    today = today or date.today()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def day_problem(day: date, what: str | None = None) -> str | None:
    """Why ``day`` is no date the tracker takes, or None. ``what``: the date's name, as
    the sentence starts (The date), said where it is written: ``say("The expected
    arrival")``."""
    what = say("The date") if what is None else what
    if day < EARLIEST_DAY:
        return say(
            "%(what)s (%(day)s) is too long ago: give a date from 1900 on.",
            what=what,
            day=day.isoformat(),
        )
    latest = latest_day()
    if day > latest:
        return say(
            "%(what)s (%(day)s) is too far ahead: give a date up to %(latest)s.",
            what=what,
            day=day.isoformat(),
            latest=short_day(latest),
        )
    return None


def check_day(day: date | None, what: str | None = None) -> date | None:
    """``day`` when it is one the tracker takes; a DomainError saying why not."""
    if day is not None:
        problem = day_problem(day.date() if hasattr(day, "date") else day, what)
        if problem:
            raise DomainError(problem)
    return day
