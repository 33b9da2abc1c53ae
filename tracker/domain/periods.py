"""Weeks and periods: the grain of the weekly roll-up and of every report over time.

A week runs Monday to Sunday, in UTC. A period is made of whole weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tracker.domain.text import short_day
from tracker.domain.words import say

# Weeks of sales that weeks of cover are reckoned from.
RECENT_WEEKS = 4
# The longest period a report shows, week by week (about five years).
MAX_WEEKS = 261


def week_start(day: date) -> date:
    """The Monday of the week a day falls in."""
    return day - timedelta(days=day.weekday())


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of the week a moment falls in."""
    return week_start(moment.astimezone(UTC).date())


def day_start(day: date) -> datetime:
    """Midnight (UTC) that starts a day."""
    return datetime.combine(day, time(), tzinfo=UTC)


def day_end(day: date) -> datetime:
    """The last second (UTC) of a day: when something dated by its day only happened.
    Whatever else happened that day (the copies brought to the table, the receipt the
    same day) comes first, so a tally typed in by its day never finds the table empty."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def month_of(moment: date | datetime) -> date:
    """The first day of the month (UTC) a day or moment falls in."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return day.replace(day=1)


def month_ended(month: date, today: date) -> bool:
    """Whether a month (its first day) is over: only a month that is over can be closed."""
    return month_of(today) > month_of(month)


@dataclass(frozen=True)
class Period:
    """Whole weeks: from a Monday to a Sunday."""

    first: date
    last: date

    @classmethod
    def covering(cls, start: date, end: date) -> Period:
        """The whole weeks that hold ``start`` to ``end``."""
        return cls(week_start(start), week_start(end) + timedelta(days=6))

    @classmethod
    def weeks_to(cls, end: date, weeks: int = 52) -> Period:
        """``weeks`` whole weeks, the last holding ``end``."""
        last_monday = week_start(end)
        return cls(last_monday - timedelta(weeks=weeks - 1), last_monday + timedelta(days=6))

    @property
    def weeks(self) -> list[date]:
        """The Mondays of its weeks."""
        count = (self.last - self.first).days // 7 + 1
        return [self.first + timedelta(weeks=i) for i in range(count)]

    @property
    def recent_first(self) -> date:
        """The Monday that starts the last ``RECENT_WEEKS`` weeks of the period."""
        return week_start(self.last) - timedelta(weeks=RECENT_WEEKS - 1)

    @property
    def start(self) -> datetime:
        """The moment it begins (UTC)."""
        return day_start(self.first)

    @property
    def stop(self) -> datetime:
        """The moment after it ends (UTC)."""
        return day_start(self.last + timedelta(days=1))

    def __str__(self) -> str:
        """The days it runs, as the reader's language writes them."""
        return f"{short_day(self.first)} – {short_day(self.last)}"  # noqa: RUF001


def default_period(latest_week: date | None, today: date) -> Period:
    """The 52 weeks to this week; or, when nothing moved in them, the 52 weeks to the
    latest week with activity (a campaign that lies in the past)."""
    recent = Period.weeks_to(today)
    if latest_week is None or latest_week >= recent.first:
        return recent
    return Period.weeks_to(latest_week)


def requested_period(start: date | None, end: date | None, default: Period) -> Period:
    """The period a report asks for by its first and last days (either may be missing):
    the whole weeks that hold them, else the default."""
    if start and end:
        return Period.covering(start, end)
    if start:
        return Period.covering(start, max(start, default.last))
    if end:
        return Period.weeks_to(end)
    return default


def period_problem(period: Period) -> str | None:
    """Why a report cannot show ``period`` week by week, or None."""
    if len(period.weeks) > MAX_WEEKS:
        return say(
            "Choose a period of at most %(max)s weeks (about five years); this one has %(weeks)s.",
            max=MAX_WEEKS,
            weeks=len(period.weeks),
        )
    return None
