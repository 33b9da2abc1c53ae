"""The words of events and sales: kinds of event, their states, how readers pay."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from tracker.domain.money import LineSums
from tracker.domain.text import Words
from tracker.domain.words import say_mark


class EventKind(Words):
    LAUNCH = "launch"
    SCHOOL = "school"
    FESTIVAL = "festival"
    PUBLIC_MEETING = "public_meeting"
    BOOKSTALL = "bookstall"
    READING_CIRCLE = "reading_circle"
    OTHER = "other"


# The labels of the Words enums here, for the catalogues (``Words.label`` says them).
_LABELS = (
    say_mark("launch"),
    say_mark("school"),
    say_mark("festival"),
    say_mark("public meeting"),
    say_mark("bookstall"),
    say_mark("reading circle"),
    say_mark("other"),
    say_mark("cash"),
    say_mark("card"),
    say_mark("bank transfer"),
    say_mark("sales"),
    say_mark("signings"),
)


class EventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PaymentMethod(Words):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


class SaleSums(LineSums):
    """What a sale comes to, from its lines and the cash handed over: the same for a
    sale read from the database and one just written."""

    if TYPE_CHECKING:

        @property
        def tendered_minor(self) -> int | None: ...

        @property
        def payment_method(self) -> str: ...

    @property
    def payment_label(self) -> str:
        return PaymentMethod(self.payment_method).label

    @property
    def change_minor(self) -> int | None:
        """The change given back on the cash handed over (None: none was noted)."""
        if self.tendered_minor is None:
            return None
        return self.tendered_minor - self.total_minor


class TallyKind(Words):
    """What a paper tally, typed in afterwards, counted."""

    SALES = "sales"
    SIGNINGS = "signings"


# The kind of a paper tally's own document, by what it counted.
TALLY_DOCUMENTS = {TallyKind.SALES: "sales_tally", TallyKind.SIGNINGS: "signings_tally"}


# How long after it was recorded the sale screen may undo a sale: a slip noticed at
# once. Later, a sale is voided, with a reason.
UNDO_MINUTES = 5
# A phone's clock may run a little ahead of the server's: a sale it says was made up to
# this far in the future was made now.
CLOCK_SKEW = timedelta(minutes=5)


def undo_until(recorded_at: datetime) -> datetime:
    """Until when a sale recorded at ``recorded_at`` may be undone."""
    return recorded_at + timedelta(minutes=UNDO_MINUTES)
