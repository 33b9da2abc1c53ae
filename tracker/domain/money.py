"""Money: exact amounts in a currency's minor unit, formatted for people with Babel.

Amounts are stored as integers of the currency's minor unit (pence, öre, centavos) next
to an ISO 4217 code, and handled in Python as ``Decimal``. Never floats.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Protocol

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision, is_currency

from tracker.domain.errors import DomainError
from tracker.domain.words import number, say


class _Line(Protocol):
    @property
    def qty(self) -> int: ...

    @property
    def unit_price_minor(self) -> int: ...


class LineSums:
    """What lines of copies at a price each come to (a sale's, a shipment's)."""

    if TYPE_CHECKING:

        @property
        def lines(self) -> Sequence[_Line]: ...

    @property
    def copies(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def total_minor(self) -> int:
        return sum(line.qty * line.unit_price_minor for line in self.lines)


def check_currency(code: str) -> str:
    """The ISO 4217 code, upper-cased, or a DomainError saying it is not one."""
    normalized = (code or "").strip().upper()
    if len(normalized) != 3 or not is_currency(normalized):
        raise DomainError(
            say(
                "%(code)s is not an ISO 4217 currency code (such as GBP, EUR, SEK).",
                code=repr(code),
            )
        )
    return normalized


def precision(currency: str) -> int:
    return get_currency_precision(currency)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-precision(currency))


# Bounds on amounts, in minor units, far inside 64-bit integers: a price per copy
# times the most copies a line takes (a million) is at most 10^15, and sums over
# millions of lines stay below 2^63 (9.2 x 10^18).
MAX_PRICE_MINOR = 10**9  # a price per copy: 10,000,000.00 in a currency of 2 decimals
MAX_AMOUNT_MINOR = 10**13  # any other amount (a remittance): 100,000,000,000.00
_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MAX_DIGITS = 40


def plain(minor: int, currency: str) -> str:
    """The amount as a form shows it for editing: digits and a decimal point (12.50)."""
    return f"{from_minor(minor, currency):f}"


def _decimal(amount: object, shown: str) -> Decimal:
    """The amount as a finite decimal of at most 40 digits, written with ASCII digits and
    a decimal point (an exponent is read: 1.5e3)."""
    if isinstance(amount, bool):
        raise DomainError(say("%(amount)s is not an amount of money.", amount=repr(amount)))
    if isinstance(amount, Decimal | int):
        value = Decimal(amount)
    else:
        text = str(amount).strip()
        if len(text) > _MAX_DIGITS or not _AMOUNT.fullmatch(text):
            raise DomainError(
                say(
                    "%(amount)s is not an amount of money. Write it with digits and a decimal "
                    "point, such as 12.50.",
                    amount=repr(shown),
                )
            )
        value = Decimal(text)
    if not value.is_finite() or len(value.as_tuple().digits) > _MAX_DIGITS:
        raise DomainError(say("%(amount)s is not an amount of money.", amount=repr(shown)))
    return value


def _whole_minor(value: Decimal, places: int) -> int | None:
    """The value in minor units, exactly; None when it is finer than they are."""
    sign, digits, exponent = value.as_tuple()
    coefficient = int("".join(map(str, digits)))
    shift = int(exponent) + places
    if shift >= 0:
        minor = coefficient * 10**shift
    else:
        minor, rest = divmod(coefficient, 10**-shift)
        if rest:
            return None
    return -minor if sign else minor


def to_minor(
    amount: object,
    currency: str,
    *,
    limit: int = MAX_AMOUNT_MINOR,
    what: str | None = None,
) -> int:
    """Minor units of ``amount`` (as typed, or a number); a DomainError saying what is
    wrong when it is not an amount of ``currency``: not written with ASCII digits and a
    decimal point (an exponent is read: 1.5e3), not a number (NaN, Infinity), finer than
    the currency's minor unit however it is written, or beyond ``limit`` minor units
    either way. ``what``: what the amount is, as the sentence names it (an amount), said
    where it is written: ``say("a price per copy")``."""
    what = say("an amount") if what is None else what
    places = precision(currency)
    shown = str(amount).strip()
    shown = shown if len(shown) <= 30 else shown[:30] + "..."
    value = _decimal(amount, shown)
    if value.is_zero():
        return 0
    # Checked on the exponent first: 1e999999999 is never expanded.
    too_large = value.adjusted() + places > len(str(limit))
    finer = value.adjusted() < -places
    minor = None if too_large or finer else _whole_minor(value, places)
    if too_large or (minor is not None and abs(minor) > limit):
        largest = from_minor(limit, currency)
        raise DomainError(
            say(
                "%(amount)s %(currency)s is too large: %(what)s can be at most %(largest)s "
                "%(currency)s.",
                amount=shown,
                currency=currency,
                what=what,
                largest=f"{largest:,f}",
            )
        )
    if minor is None:
        raise DomainError(
            say(
                "%(amount)s %(currency)s has more decimals than %(currency)s allows (%(places)s).",
                amount=shown,
                currency=currency,
                places=places,
            )
        )
    return minor


@functools.cache
def _currency_format(locale: str) -> tuple[Locale, NumberPattern]:
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


def format_money(minor: int, currency: str, locale: str = "en_GB") -> str:
    """The amount as people read it (``£1,234.50``): Babel's ``format_currency``, with
    the locale's pattern parsed once rather than at every call."""
    parsed, pattern = _currency_format(locale)
    return pattern.apply(
        from_minor(minor, currency), parsed, currency=currency, currency_digits=True
    )


MAX_RATE = Decimal(1_000_000)
_RATE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_rate(value: str | Decimal) -> Decimal:
    """A rate above zero, at most a million, with at most ten decimals."""
    text = str(value).strip()
    if len(text) > 40 or not _RATE.fullmatch(text):
        shown = text if len(text) <= 30 else text[:30] + "..."
        raise DomainError(say("%(rate)s is not a rate (such as 0.0734).", rate=repr(shown)))
    rate = Decimal(text)
    if rate <= 0:
        raise DomainError(say("A rate is a number above zero."))
    if rate > MAX_RATE:
        raise DomainError(say("A rate is at most %(max)s.", max=number(MAX_RATE)))
    if rate.adjusted() < -10 or rate != rate.quantize(Decimal("1e-10")):
        raise DomainError(say("A rate has at most ten decimals."))
    return rate


class Rate(Protocol):
    """A rate an admin entered: one unit of a currency in the publisher's, from a day."""

    @property
    def rate(self) -> Decimal: ...

    @property
    def valid_on(self) -> date: ...


def convert(
    minor: int, currency: str, publisher_currency: str, rates: Mapping[str, Rate]
) -> tuple[Decimal | None, date | None, int | None]:
    """(rate, the day it was entered for, the amount in the publisher's currency), or
    Nones where no rate was entered: an amount is never converted at a guessed rate."""
    if currency == publisher_currency:
        return Decimal(1), None, minor
    entered = rates.get(currency)
    if entered is None:
        return None, None, None
    amount = from_minor(minor, currency) * entered.rate
    places = Decimal(1).scaleb(-precision(publisher_currency))
    return (
        entered.rate,
        entered.valid_on,
        to_minor(amount.quantize(places, ROUND_HALF_UP), publisher_currency),
    )
