"""The words of events and sales: kinds of event, their states, how readers pay."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    LAUNCH = "launch"
    SCHOOL = "school"
    FESTIVAL = "festival"
    PUBLIC_MEETING = "public_meeting"
    BOOKSTALL = "bookstall"
    READING_CIRCLE = "reading_circle"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class EventStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")
