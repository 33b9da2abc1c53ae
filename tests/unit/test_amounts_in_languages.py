"""Amounts as each language writes them: what Babel writes for a reader (grouping and
decimal symbol of the locale) reads back as the same amount, in every language shipped,
and the way the other languages write it is read too where it cannot be mistaken."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.languages import LANGUAGES, plain_amount
from tracker.domain.money import format_money, from_minor, to_minor

CURRENCIES = ["GBP", "SEK", "EUR", "PKR", "MXN", "USD", "JPY", "CHF"]


@pytest.mark.parametrize("code", list(LANGUAGES))
@given(minor=st.integers(min_value=0, max_value=10**11), currency=st.sampled_from(CURRENCIES))
def test_an_amount_written_in_a_language_reads_back(code, minor, currency):
    amount = from_minor(minor, currency)
    places = -amount.as_tuple().exponent if amount.as_tuple().exponent < 0 else 0
    written = format_decimal(
        amount, format="#,##0." + "0" * places if places else "#,##0", locale=code
    )
    assert to_minor(plain_amount(written, code), currency) == minor, written


@pytest.mark.parametrize("code", list(LANGUAGES))
@given(minor=st.integers(min_value=0, max_value=10**9))
def test_money_as_shown_keeps_its_digits(code, minor):
    """What the page shows names the currency and all the digits of the amount."""
    shown = format_money(minor, "SEK", code)
    digits = "".join(ch for ch in shown if ch.isdigit())
    assert int(digits) == minor


@pytest.mark.parametrize(
    ("typed", "code", "amount"),
    [
        ("18,00", "sv", "18.00"),
        ("18.00", "sv", "18.00"),
        ("1 234,50", "sv", "1234.50"),
        ("1.234,50", "de", "1234.50"),
        ("1.500", "de", "1500"),
        ("1,500", "en", "1500"),
        ("1,234.50", "en", "1234.50"),
        ("12.50", "en", "12.50"),
        ("18,00", "en", "18.00"),
        ("250,00", "es", "250.00"),
        ("1\u202f234,5", "fr", "1234.5"),
        ("1,500.00", "ur", "1500.00"),
    ],
)
def test_amounts_as_people_type_them(typed, code, amount):
    assert Decimal(plain_amount(typed, code)) == Decimal(amount)


@pytest.mark.parametrize("typed", ["abc", "1,2,3", "12,50,00", "1.2.3", "", "--5", "1e5x"])
def test_what_is_not_an_amount_is_left_as_typed(typed):
    assert plain_amount(typed, "sv") == typed.strip()
