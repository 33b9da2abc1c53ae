"""Small helpers for the sentences the tracker says to people, and for the texts
people type into it."""

import re
from datetime import date
from enum import StrEnum
from typing import Literal, overload

from tracker.domain.words import day, either, number, say, say_n, sentence


def join_or(words: list[str]) -> str:
    """'x', 'x or y', 'x, y or z', in the reader's language (``either``)."""
    return either(words)


def short_day(value: date) -> str:
    """A day as the reader's language writes it, without a leading nought (5 Feb 2024)."""
    return day(value).lstrip("0")


def copies(n: int) -> str:
    """'1 copy', '1,200 copies'."""
    return say_n("%(n)s copy", "%(n)s copies", n, n=number(n))


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
    holds a control character, is longer than ``limit`` or is required and missing.
    ``what``: what the text is, as the sentence names it (its subject, with its article),
    said where it is written: ``say("the buyer's name")``."""
    from tracker.domain.errors import DomainError

    text = (value or "").strip()
    if required and not text:
        raise DomainError(sentence(say("%(what)s is required.", what=what)))
    bad = control_character(text, multiline=multiline)
    if bad and multiline:
        raise DomainError(
            sentence(
                say(
                    "%(what)s holds a control character (%(bad)s): only tabs and line "
                    "breaks may be typed.",
                    what=what,
                    bad=bad,
                )
            )
        )
    if bad:
        raise DomainError(
            sentence(
                say(
                    "%(what)s holds a control character (%(bad)s): type plain text.",
                    what=what,
                    bad=bad,
                )
            )
        )
    if limit is not None and len(text) > limit:
        raise DomainError(
            sentence(
                say(
                    "%(what)s is longer than %(limit)s characters.",
                    what=what,
                    limit=number(limit),
                )
            )
        )
    return text or None


class Words(StrEnum):
    """An enumeration of words the tracker keeps (``bank_transfer``) and says
    (``bank transfer``), in the reader's language. Each module that defines one marks
    its labels for the catalogues (``say_mark``)."""

    @property
    def label(self) -> str:
        return say(self.value.replace("_", " "))
