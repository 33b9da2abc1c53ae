"""ISBN-13: normalising what people type and checking the check digit."""

from __future__ import annotations

from tracker.domain.errors import DomainError
from tracker.domain.words import say


def check_digit(first_twelve: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def normalize_isbn13(raw: str) -> str:
    """The 13 digits of an ISBN-13 typed with or without hyphens or spaces.

    Raises a DomainError that says what is wrong: not 13 digits, not starting with
    978 or 979, or a check digit that does not match (and which one would).
    """
    text = (raw or "").strip()
    digits = text.replace("-", "").replace(" ", "")
    if text.upper().startswith("ISBN"):
        digits = digits[4:].lstrip(":")
    if not digits.isdigit() or len(digits) != 13 or not digits.isascii():
        raise DomainError(
            say("ISBN %(isbn)s must have 13 digits (hyphens and spaces allowed).", isbn=repr(raw))
        )
    if not digits.startswith(("978", "979")):
        raise DomainError(say("ISBN %(isbn)s must start with 978 or 979.", isbn=repr(raw)))
    expected = check_digit(digits[:12])
    if digits[12] != expected:
        raise DomainError(
            say(
                "ISBN %(isbn)s has a wrong check digit: it ends in %(last)s, the first twelve "
                "digits give %(expected)s.",
                isbn=repr(raw),
                last=digits[12],
                expected=expected,
            )
        )
    return digits


def hyphenless_display(isbn: str) -> str:
    """978-1234567890 style: prefix apart, since group and publisher lengths vary."""
    return f"{isbn[:3]}-{isbn[3:]}" if len(isbn) == 13 else isbn
