"""ISBNs: normalising what people type, checking the check digit, and writing an
ISBN-10 as the ISBN-13 it became (978 and its first nine digits, a new check digit)."""

from __future__ import annotations

from tracker.domain.errors import DomainError
from tracker.domain.words import say


def check_digit(first_twelve: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(first_twelve))
    return str((10 - total % 10) % 10)


def _typed(raw: str) -> str:
    """What was typed, without hyphens, spaces and a leading "ISBN" (or "ISBN-13:")."""
    digits = (raw or "").strip().replace("-", "").replace(" ", "")
    if not digits.upper().startswith("ISBN"):
        return digits
    rest = digits[4:].lstrip(":")
    # "ISBN-13: 978..." and "ISBN-10: 0..." name their kind: 15 or 12 characters left.
    if rest[:2] in ("13", "10") and (rest[2:3] == ":" or len(rest) in (12, 15)):
        rest = rest[2:].lstrip(":")
    return rest


def _shown(raw: str) -> str:
    """What was typed, as a message quotes it (cut short when long)."""
    text = raw or ""
    return repr(text if len(text) <= 30 else text[:30] + "...")


def isbn10_check_digit(first_nine: str) -> str:
    """The tenth character of an ISBN-10: 0 to 9, or X for ten."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
    value = (11 - total % 11) % 11
    return "X" if value == 10 else str(value)


def normalize_isbn13(raw: str) -> str:
    """The 13 digits of an ISBN-13 typed with or without hyphens or spaces.

    Raises a DomainError that says what is wrong: not 13 digits, not starting with
    978 or 979, or a check digit that does not match (and which one would).
    """
    digits = _typed(raw)
    if not digits.isdigit() or len(digits) != 13 or not digits.isascii():
        raise DomainError(
            say("ISBN %(isbn)s must have 13 digits (hyphens and spaces allowed).", isbn=_shown(raw))
        )
    if not digits.startswith(("978", "979")):
        raise DomainError(say("ISBN %(isbn)s must start with 978 or 979.", isbn=_shown(raw)))
    expected = check_digit(digits[:12])
    if digits[12] != expected:
        raise DomainError(
            say(
                "ISBN %(isbn)s has a wrong check digit: it ends in %(last)s, the first twelve "
                "digits give %(expected)s.",
                isbn=_shown(raw),
                last=digits[12],
                expected=expected,
            )
        )
    return digits


def normalize_isbn(raw: str) -> str:
    """The 13 digits of an ISBN typed as an ISBN-13 or as an ISBN-10 (with or without
    hyphens or spaces; an ISBN-10 may end in X): an ISBN-10 whose check digit matches
    becomes its ISBN-13. Raises a DomainError that says what is wrong."""
    digits = _typed(raw)
    if len(digits) == 13:
        return normalize_isbn13(raw)
    if len(digits) != 10:
        raise DomainError(
            say(
                "ISBN %(isbn)s must have 13 digits, or 10 for an ISBN-10 (hyphens and spaces "
                "allowed).",
                isbn=_shown(raw),
            )
        )
    first_nine, last = digits[:9], digits[9].upper()
    if not (first_nine.isascii() and first_nine.isdigit()) or last not in "0123456789X":
        raise DomainError(
            say(
                "ISBN %(isbn)s is not an ISBN-10: nine digits, then a digit or X.",
                isbn=_shown(raw),
            )
        )
    expected = isbn10_check_digit(first_nine)
    if last != expected:
        raise DomainError(
            say(
                "ISBN-10 %(isbn)s has a wrong check digit: it ends in %(last)s, the first "
                "nine digits give %(expected)s.",
                isbn=_shown(raw),
                last=last,
                expected=expected,
            )
        )
    twelve = "978" + first_nine
    return twelve + check_digit(twelve)


def hyphenless_display(isbn: str) -> str:
    """978-1234567890 style: prefix apart, since group and publisher lengths vary."""
    return f"{isbn[:3]}-{isbn[3:]}" if len(isbn) == 13 else isbn
