"""What a section owes: firm sale on receipt, sale or return when sold; remittances pay
the oldest debts first; balances in one currency only where a rate was entered."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tests.factories import World
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError
from tracker.queries import statements
from tracker.services import rates as rates_service
from tracker.services import receipts as receipts_service
from tracker.services import remittances as remittances_service
from tracker.services import sales as sales_service
from tracker.services import shipments
from tracker.services.receipts import ReceiptInput
from tracker.services.sales import SaleItem
from tracker.services.shipments import LineInput

TODAY = date.today()


def _ago(days: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days), time(12), UTC)


def _shipment(
    session,
    world: World,
    terms: str,
    qty: int,
    price: str,
    sent: int,
    received: int,
    damaged: int = 0,
):
    gb = world.loc("GB-STORE").section_id
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        terms=terms,
        lines=[LineInput(world.edition.id, qty, price)],
    )
    shipments.dispatch(session, None, shipment.id, when=_ago(sent))
    receipts_service.receive(
        session,
        None,
        shipment.id,
        [
            ReceiptInput(
                shipment.lines[0].id,
                received=received,
                damaged=damaged,
                reason="damaged_in_transit" if damaged else None,
            )
        ],
        when=_ago(sent - 1),
    )
    return shipment


def _sell(session, world: World, qty: int, days: int) -> None:
    sales_service.sell(
        session,
        None,
        location_id=world.loc("GB-STORE").id,
        items=[SaleItem(world.edition.id, qty, unit_price="20")],
        payment_method="cash" if qty % 2 else "card",
        when=_ago(days),
    )


@pytest.fixture
def accounts(world: World, session, make_user):
    world.printed(200)
    _shipment(session, world, "firm_sale", 40, "10.00", sent=101, received=38, damaged=2)
    _shipment(session, world, "sale_or_return", 50, "8.00", sent=51, received=50)
    _sell(session, world, 30, 95)  # all from the firm-sale copies
    _sell(session, world, 20, 40)  # 8 firm-sale copies, then 12 on sale or return
    _sell(session, world, 5, 10)  # 5 on sale or return
    gb = world.loc("GB-STORE").section_id
    back = shipments.create(
        session,
        None,
        direction="return",
        section_id=gb,
        lines=[LineInput(world.edition.id, 10, "8.00")],
    )
    shipments.dispatch(session, None, back.id, when=_ago(5))
    treasurer = make_user(Role.TREASURER, "GB")
    paid = remittances_service.record_remittance(
        session,
        treasurer,
        section_id=gb,
        amount="300",
        currency="GBP",
        sent_on=TODAY - timedelta(days=20),
        method="bank_transfer",
        reference="R1",
    )
    remittances_service.confirm_remittance(session, None, paid.id)
    remittances_service.record_remittance(
        session,
        treasurer,
        section_id=gb,
        amount="50.00",
        currency="gbp",
        sent_on=TODAY,
        method="bank_transfer",
    )
    return gb


def test_copies_and_money_of_a_section(accounts, session, world: World):
    statement = statements.section_statement(session, accounts, TODAY)
    (line,) = statement.editions
    assert (line.received, line.received_firm, line.received_sor) == (88, 38, 50)
    assert (line.returned, line.sold, line.written_off) == (10, 55, 2)
    assert line.on_hand == world.stock("GB-STORE") == 23
    assert line.owed_firm_minor == 38 * 1000
    assert line.owed_sor_minor == 17 * 800
    assert statement.owed_minor == 38000 + 13600
    # 30 and 20 copies by card, 5 in cash, at £20.
    assert statement.takings == {
        "cash": 5 * 2000,
        "card": 50 * 2000,
        "bank_transfer": 0,
        "other": 0,
    }

    assert (statement.remitted_minor, statement.pending_minor) == (30000, 5000)
    assert statement.outstanding_minor == 51600 - 30000
    # The £300 paid the oldest debt (the firm-sale receipt, 100 days ago) in part.
    assert statement.aging == {
        "0-30 days": 5 * 800,
        "31-60 days": 12 * 800,
        "61-90 days": 0,
        "over 90 days": 38000 - 30000,
    }
    assert [d.amount_minor for d in statement.debts] == [38000, 9600, 4000]


def test_what_can_still_be_returned(accounts, session, world: World):
    # 50 on sale or return, 10 sent back, 17 sold from them.
    assert shipments.returnable(session, accounts, world.edition.id) == 23
    with pytest.raises(DomainError, match="can send back 23 copies"):
        shipments.create(
            session,
            None,
            direction="return",
            section_id=accounts,
            lines=[LineInput(world.edition.id, 24, "8.00")],
        )


def test_a_voided_sale_is_not_owed(accounts, session, world: World):
    sale = sales_service.sell(
        session,
        None,
        location_id=world.loc("GB-STORE").id,
        items=[SaleItem(world.edition.id, 3, unit_price="20")],
        payment_method="cash",
    )
    assert statements.section_statement(session, accounts, TODAY).owed_minor == 51600 + 2400
    sales_service.void_sale(session, None, sale.id, "wrong")
    assert statements.section_statement(session, accounts, TODAY).owed_minor == 51600


def test_remittances_are_in_the_sections_currency(accounts, session, make_user):
    treasurer = make_user(Role.TREASURER, "GB")
    for amount, currency, message in (
        ("10", "EUR", "pays the publisher in GBP, not EUR"),
        ("0", "GBP", "more than zero"),
        ("-5", "GBP", "more than zero"),
        ("1.001", "GBP", "more decimals"),
    ):
        with pytest.raises(DomainError, match=message):
            remittances_service.record_remittance(
                session,
                treasurer,
                section_id=accounts,
                amount=amount,
                currency=currency,
                sent_on=TODAY,
                method="cash",
            )
    with pytest.raises(DomainError, match="in the future"):
        remittances_service.record_remittance(
            session,
            treasurer,
            section_id=accounts,
            amount="1",
            currency="GBP",
            sent_on=TODAY + timedelta(days=1),
            method="cash",
        )
    with pytest.raises(DomainError, match="Only distribution staff confirm"):
        remittances_service.confirm_remittance(session, treasurer, 1)


def test_balances_in_one_currency_only_with_a_rate(accounts, session, world: World, make_user):
    sweden = world.loc("SE-STORE").section_id
    world.post("dispatch", 10, "WH", "SE-TRANSIT")  # nothing owed yet: no shipment
    admin = make_user(Role.ADMIN)
    before = statements.balances(session, "GBP", TODAY)
    rows = {r.section.name: r for r in before.rows}
    assert rows["Britain"].converted_minor == 21600 and rows["Britain"].rate == 1
    assert rows["Sweden"].converted_minor is None and before.missing_rates == ["SEK"]
    assert before.total_minor == 21600
    # Sweden owes 1,000 SEK once firm-sale copies arrive there...
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=sweden,
        lines=[LineInput(world.edition.id, 10, "100")],
    )
    shipments.dispatch(session, None, shipment.id)
    receipts_service.receive(session, None, shipment.id, [ReceiptInput(shipment.lines[0].id, 10)])
    # ...and counts in the total once a rate is entered.
    rates_service.set_rate(
        session,
        admin,
        currency="SEK",
        valid_on=TODAY - timedelta(days=30),
        rate="0.075",
        publisher_currency="GBP",
    )
    rates_service.set_rate(
        session,
        admin,
        currency="SEK",
        valid_on=TODAY + timedelta(days=30),
        rate="0.5",
        publisher_currency="GBP",
    )  # not in force yet
    after = statements.balances(session, "GBP", TODAY)
    rows = {r.section.name: r for r in after.rows}
    assert rows["Sweden"].outstanding_minor == 100000
    assert rows["Sweden"].rate == __import__("decimal").Decimal("0.075")
    assert rows["Sweden"].converted_minor == 7500 and after.missing_rates == []
    assert after.total_minor == 21600 + 7500


@pytest.mark.parametrize(
    ("currency", "rate", "message"),
    [
        ("XYZ", "1", "not an ISO 4217"),
        ("SEK", "0", "above zero"),
        ("SEK", "abc", "not a rate"),
        ("GBP", "1", "the publisher's own currency"),
        ("SEK", "0.12345678901", "ten decimals"),
    ],
)
def test_bad_rates(session, make_user, currency, rate, message):
    with pytest.raises(DomainError, match=message):
        rates_service.set_rate(
            session,
            make_user(Role.ADMIN),
            currency=currency,
            valid_on=TODAY,
            rate=rate,
            publisher_currency="GBP",
        )


def test_only_admins_enter_rates(session, make_user):
    with pytest.raises(DomainError, match="Only an admin"):
        rates_service.set_rate(
            session,
            make_user(Role.COORDINATOR),
            currency="SEK",
            valid_on=TODAY,
            rate="0.07",
            publisher_currency="GBP",
        )


@pytest.mark.parametrize("currency", ["GBP", "EUR", "SEK", "PKR", "JPY", "MXN", "CHF", "BHD"])
@pytest.mark.parametrize("minor", [0, 1, -5, 123456, 99999999, -123456789])
def test_money_is_formatted_as_babel_formats_it(currency, minor):
    from babel.numbers import format_currency

    from tracker.domain.money import format_money, from_minor

    expected = format_currency(from_minor(minor, currency), currency, locale="en_GB")
    assert format_money(minor, currency) == expected
