"""The languages the tracker speaks, and amounts as people of each write them.

A language is a code (``sv``, ``ur``, ``pt``) for which a catalogue of translations
ships in ``tracker/translations``; English is the language of the sources. Numbers and
money are read and written by Babel (CLDR): the decimal symbol, the grouping, the
currency's place and sign are the locale's.
"""

from __future__ import annotations

import functools
import re

from babel import Locale
from babel.core import UnknownLocaleError

# The languages shipped, each named in itself (how the switch lists them).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "sv": "Svenska",
    "ur": "اردو",
    "it": "Italiano",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
}
DEFAULT = "en"


def language(code: str | None) -> str | None:
    """The shipped language a code names (``pt_BR`` -> ``pt``), or None."""
    if not code:
        return None
    base = code.replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


@functools.cache
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT)


def right_to_left(code: str) -> bool:
    """Whether the language is written right to left (Urdu, Arabic...)."""
    return _locale(code).character_order == "right-to-left"


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")


def plain_amount(text: str, locale: str) -> str:
    """An amount as typed by a reader of ``locale`` ("1 234,50", "18,00", "1.234,50",
    "12.50"), in the plain form the tracker reads (digits and a decimal point: "1234.50").

    The locale's decimal symbol is the decimal symbol; the other of comma and point is
    read as a decimal symbol too where it cannot be grouping (not followed by exactly
    three digits): "18.00" in Swedish is 18, "1.500" in German is 1500. What is not an
    amount is given back as typed, for the reader's error to show it."""
    compact = _SPACES.sub("", text.strip())
    symbols = _locale(locale).number_symbols.get("latn", _locale(locale).number_symbols)
    decimal = symbols.get("decimal", ".")
    other = "." if decimal == "," else ","
    sign = ""
    if compact and compact[0] in "+-":
        sign, compact = compact[0], compact[1:]
    if compact.count(decimal) > 1 or not compact or not re.fullmatch(r"[0-9.,]+", compact):
        return text.strip()
    whole, _, fraction = compact.partition(decimal)
    if decimal in compact:
        # The other symbol may only group the whole part, in threes.
        if other in fraction or not _grouped(whole, other):
            return text.strip()
        return f"{sign}{whole.replace(other, '')}.{fraction}"
    if other in compact:
        parts = compact.split(other)
        if all(len(p) == 3 for p in parts[1:]) and parts[0] and len(parts[0]) <= 3:
            return sign + "".join(parts)  # grouping: 1,500 / 1.500
        if len(parts) == 2:
            return f"{sign}{parts[0]}.{parts[1]}"  # the other decimal symbol: 18.00 / 18,00
        return text.strip()
    return sign + compact


def _grouped(whole: str, separator: str) -> bool:
    if separator not in whole:
        return True
    head, *groups = whole.split(separator)
    return bool(head) and len(head) <= 3 and all(len(g) == 3 for g in groups)
