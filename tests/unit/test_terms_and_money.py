"""What sections owe and may send back, ageing, money and periods, on plain values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.money import (
    MAX_PRICE_MINOR,
    convert,
    format_money,
    from_minor,
    parse_rate,
    to_minor,
)
from tracker.domain.periods import Period, period_problem, requested_period, week_of, week_start
from tracker.domain.terms import Debt, EditionTerms, aged


def test_sales_draw_on_firm_sale_copies_first():
    terms = EditionTerms(firm=4, sor=10, sor_value=Decimal(10 * 900))
    assert terms.sor_sold(3) == 0 and terms.sor_owed(3) == 0
    assert terms.sor_sold(9) == 5 and terms.sor_owed(9) == 5 * 900
    # Never more sale-or-return copies than were kept.
    terms.returned = 4
    assert terms.sor_sold(100) == 6


def test_what_may_go_back_is_what_the_statement_does_not_owe():
    """10 sale-or-return copies received, 5 sold, 2 brought back by a reader: 3 sold,
    3 owed, 7 may go back (the statement and returns read the same rule)."""
    terms = EditionTerms(sor=10, sor_value=Decimal(10 * 1000))
    sold = 5 - 2
    assert terms.sor_owed(sold) == 3 * 1000
    assert terms.returnable(sold) == 7
    terms.reserved = 2  # on a return not yet dispatched
    assert terms.returnable(sold) == 5
    assert terms.sor_price == 1000


def test_an_average_price_is_rounded_once_on_the_total():
    terms = EditionTerms(sor=3, sor_value=Decimal(1000))  # 333.33... each
    assert [terms.sor_owed(n) for n in range(4)] == [0, 333, 667, 1000]


def test_credits_cancel_the_latest_debts_and_payments_the_oldest():
    def at(month: int) -> datetime:
        return datetime(2024, month, 1, tzinfo=UTC)

    debts = [Debt(at(1), "a", 1000), Debt(at(3), "b", 500), Debt(at(4), "c", -200)]
    aging = aged(debts, paid=600, today=date(2024, 4, 20))
    # 1000 + 500 - 200 = 1300 owed; 600 paid the January debt first.
    assert aging == {"0-30 days": 0, "31-60 days": 300, "61-90 days": 0, "over 90 days": 400}


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.50", "GBP", 1250), ("1e3", "SEK", 100000), ("1500", "PKR", 150000), ("0", "GBP", 0)],
)
def test_amounts_in_minor_units(amount, currency, minor):
    assert to_minor(amount, currency) == minor
    assert from_minor(minor, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0.001", r"has more decimals than GBP allows \(2\)"),
        ("1e-999999999", r"has more decimals than GBP allows \(2\)"),
        ("1e999999999", "is too large"),
        ("sNaN", "is not an amount of money"),
        ("1_000", "is not an amount of money"),
        ("١٢", "is not an amount of money"),
    ],
)
def test_what_is_no_amount(amount, message):
    with pytest.raises(DomainError, match=message):
        to_minor(amount, "GBP", limit=MAX_PRICE_MINOR)


def test_money_formatted_and_converted_only_at_a_rate_entered():
    assert format_money(123450, "GBP") == "£1,234.50"

    class Rate:
        rate = Decimal("0.0734")
        valid_on = date(2024, 1, 1)

    assert convert(100000, "SEK", "GBP", {"SEK": Rate()}) == (
        Decimal("0.0734"),
        date(2024, 1, 1),
        7340,
    )
    assert convert(100000, "MXN", "GBP", {}) == (None, None, None)
    assert parse_rate("0.0734") == Decimal("0.0734")
    with pytest.raises(DomainError, match="at most ten decimals"):
        parse_rate("0.00000000001")


def test_weeks_run_monday_to_sunday_in_utc():
    assert week_start(date(2024, 1, 21)) == date(2024, 1, 15)
    assert week_of(datetime(2024, 1, 21, 23, 30, tzinfo=UTC)) == date(2024, 1, 15)
    period = Period.covering(date(2024, 1, 17), date(2024, 2, 1))
    assert (period.first, period.last) == (date(2024, 1, 15), date(2024, 2, 4))
    assert len(period.weeks) == 3 and period.recent_first == date(2024, 1, 8)


def test_a_period_asked_for_by_its_days():
    default = Period.weeks_to(date(2024, 6, 30))
    assert requested_period(None, None, default) == default
    assert requested_period(None, date(2024, 3, 1), default) == Period.weeks_to(date(2024, 3, 1))
    too_long = Period.covering(date(1990, 1, 1), date(2024, 1, 1))
    assert "at most 261 weeks" in period_problem(too_long)
