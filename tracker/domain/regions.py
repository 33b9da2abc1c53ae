"""Countries, currencies, time zones and languages as a section is set up with them:
ISO 3166-1 alpha-2 countries and ISO 4217 currencies (Babel's CLDR data), IANA time
zones (the standard library's ``zoneinfo``), and the languages the tracker speaks.

Each ``check_...`` gives the value as kept, or a DomainError naming what was typed;
each ``..._choices`` lists the values with their names in a reader's language.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import date

from babel import Locale
from babel.core import UnknownLocaleError, get_global
from babel.numbers import get_territory_currencies

from tracker.domain.errors import DomainError
from tracker.domain.languages import DEFAULT, LANGUAGES
from tracker.domain.words import one_of, say

# Two-letter codes CLDR names that are not countries of ISO 3166-1: groupings (the EU,
# the eurozone, the UN, outlying Oceania), codes ISO reserves for other uses (Ascension,
# Clipperton, Diego Garcia, Ceuta and Melilla, the Canaries, Tristan da Cunha), Sark,
# Kosovo's user-assigned code, pseudo-locales and "unknown".
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


@functools.cache
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT)


@functools.cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 country code."""
    return frozenset(
        code
        for code in _locale("en").territories
        if isinstance(code, str)
        and len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
    )


def country_name(code: str, locale: str = DEFAULT) -> str | None:
    """A country's name in ``locale`` (its code when CLDR has no name there), or None
    when ``code`` is not an ISO 3166-1 alpha-2 code."""
    if code not in country_codes():
        return None
    return _locale(locale).territories.get(code) or _locale("en").territories.get(code) or code


def check_country(code: str | None) -> str:
    """The ISO 3166-1 alpha-2 code, upper-cased, or a DomainError saying it is not one."""
    normalized = (code or "").strip().upper()
    if normalized not in country_codes():
        raise DomainError(
            say(
                "%(code)s is not an ISO 3166-1 alpha-2 country code (such as GB, SE).",
                code=repr(code),
            )
        )
    return normalized


def _by_name(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: (pair[1].casefold(), pair[0]))


@functools.cache
def country_choices(locale: str = DEFAULT) -> list[tuple[str, str]]:
    """(code, name) of every country, by name in ``locale``."""
    return _by_name([(code, country_name(code, locale) or code) for code in country_codes()])


@functools.cache
def currencies_in_use(today: date | None = None) -> frozenset[str]:
    """The ISO 4217 codes that are legal tender somewhere now (not gold, not funds)."""
    day = today or date.today()
    found: set[str] = set()
    for territory in get_global("territory_currencies"):
        found.update(get_territory_currencies(territory, day, tender=True))
    return frozenset(found)


def currency_name(code: str, locale: str = DEFAULT) -> str:
    return _locale(locale).currencies.get(code) or _locale("en").currencies.get(code) or code


def currency_choices(locale: str = DEFAULT, keep: str | None = None) -> list[tuple[str, str]]:
    """(code, "code · name") of every currency in use, by code; ``keep`` (the one a
    section has) is listed even if no country uses it any more."""
    codes = set(currencies_in_use())
    if keep:
        codes.add(keep)
    return [(code, f"{code} · {currency_name(code, locale)}") for code in sorted(codes)]


# -- time zones ----------------------------------------------------------------------------------


@functools.cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone this machine knows."""
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str | None) -> str:
    """An IANA time zone's name as it is written ("Asia/Karachi"), or a DomainError."""
    text = (name or "").strip()
    if text not in time_zones():
        raise DomainError(
            say(
                "%(zone)s is not a time zone (such as Europe/London, Asia/Karachi).",
                zone=repr(name if name is None or len(name) <= 40 else name[:40] + "..."),
            )
        )
    return text


@functools.cache
def time_zone_choices() -> list[tuple[str, list[str]]]:
    """The zones people pick from, by area ("Africa", "America"...), each area's zones
    sorted; UTC first. Old aliases ("US/Eastern", "GB") are left out of the list, but
    still accepted."""
    areas: dict[str, list[str]] = {}
    for name in time_zones():
        area, _, place = name.partition("/")
        if not place or area in ("Etc", "SystemV", "US", "Canada", "Mexico", "Brazil", "Chile"):
            continue
        areas.setdefault(area, []).append(name)
    return [("UTC", ["UTC"])] + [(area, sorted(names)) for area, names in sorted(areas.items())]


# -- languages -----------------------------------------------------------------------------------


def check_section_language(code: str | None) -> str:
    """One of the languages the tracker speaks ("en", "sv", "ur"...)."""
    text = (code or "").strip().lower()
    if text not in LANGUAGES:
        raise DomainError(
            say(
                "%(code)s is not one of the tracker's languages (%(known)s).",
                code=repr(code if code is None or len(code) <= 20 else code[:20] + "..."),
                known=one_of(list(LANGUAGES)),
            )
        )
    return text
