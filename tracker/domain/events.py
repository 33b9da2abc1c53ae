"""The words of events and sales: kinds of event, their states, how readers pay."""

from __future__ import annotations

from enum import StrEnum

from tracker.domain.text import Words


class EventKind(Words):
    LAUNCH = "launch"
    SCHOOL = "school"
    FESTIVAL = "festival"
    PUBLIC_MEETING = "public_meeting"
    BOOKSTALL = "bookstall"
    READING_CIRCLE = "reading_circle"
    OTHER = "other"


class EventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PaymentMethod(Words):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


class TallyKind(Words):
    """What a paper tally, typed in afterwards, counted."""

    SALES = "sales"
    SIGNINGS = "signings"


# The kind of a paper tally's own document, by what it counted.
TALLY_DOCUMENTS = {TallyKind.SALES: "sales_tally", TallyKind.SIGNINGS: "signings_tally"}
