"""Small helpers for the sentences the tracker says to people, and for the texts
people type into it."""

import re
from enum import StrEnum
from typing import Literal, overload


def a(noun: str) -> str:
    """The noun with its indefinite article: 'an event table', 'a warehouse'."""
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def join_or(words: list[str]) -> str:
    """'x', 'x or y', 'x, y or z'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def copies(n: int) -> str:
    return f"{n:,} {'copy' if n == 1 else 'copies'}"


# Characters no text the tracker keeps may hold: the C0 controls (NUL among them, which
# PostgreSQL refuses), DEL and the C1 controls. Tab, CR and LF are allowed in texts of
# several lines (notes, dedications) and nowhere else.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` that no text may hold, written so people can
    read it (``U+0000``), or None."""
    found = (_CONTROL_BUT_LINES if multiline else _CONTROL).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


@overload
def clean(
    value: str | None,
    what: str,
    limit: int | None = None,
    *,
    multiline: bool = False,
    required: Literal[True],
) -> str: ...
@overload
def clean(
    value: str | None,
    what: str,
    limit: int | None = None,
    *,
    multiline: bool = False,
    required: bool = False,
) -> str | None: ...
def clean(
    value: str | None,
    what: str,
    limit: int | None = None,
    *,
    multiline: bool = False,
    required: bool = False,
) -> str | None:
    """A text as the tracker keeps it: stripped, None when empty; a DomainError when it
    holds a control character, is longer than ``limit`` or is required and missing."""
    from tracker.domain.errors import DomainError

    text = (value or "").strip()
    if required and not text:
        raise DomainError(f"The {what} is required.")
    bad = control_character(text, multiline=multiline)
    if bad:
        raise DomainError(
            f"The {what} holds a control character ({bad}): "
            + ("only tabs and line breaks may be typed." if multiline else "type plain text.")
        )
    if limit is not None and len(text) > limit:
        raise DomainError(f"The {what} is longer than {limit:,} characters.")
    return text or None


class Words(StrEnum):
    """An enumeration of words the tracker keeps (``bank_transfer``) and says
    (``bank transfer``)."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")
