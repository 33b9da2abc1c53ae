"""Money: exact amounts in a currency's minor unit, formatted for people with Babel.

Amounts are stored as integers of the currency's minor unit (pence, öre, centavos) next
to an ISO 4217 code, and handled in Python as ``Decimal``. Never floats.
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision, is_currency

from tracker.errors import DomainError


def check_currency(code: str) -> str:
    """The ISO 4217 code, upper-cased, or a DomainError saying it is not one."""
    normalized = (code or "").strip().upper()
    if len(normalized) != 3 or not is_currency(normalized):
        raise DomainError(f"{code!r} is not an ISO 4217 currency code (such as GBP, EUR, SEK).")
    return normalized


def precision(currency: str) -> int:
    return get_currency_precision(currency)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-precision(currency))


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """Minor units of ``amount``; refuses amounts finer than the currency allows."""
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise DomainError(f"{amount!r} is not an amount of money.") from None
    if not value.is_finite():
        raise DomainError(f"{amount!r} is not an amount of money.")
    scaled = value.scaleb(precision(currency))
    if scaled != scaled.to_integral_value():
        raise DomainError(
            f"{amount} {currency} has more decimals than {currency} allows ({precision(currency)})."
        )
    return int(scaled)


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
