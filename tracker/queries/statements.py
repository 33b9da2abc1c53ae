"""What sections owe, what events did, who signed what: read-only accounts.

**What a section owes the publisher** (its statement):

* firm-sale copies are owed when they are received: agreed price x copies received
  (damaged and missing copies are not owed);
* sale-or-return copies are owed when they are sold, less those sent back. Sales draw on
  the section's firm-sale copies first (they are paid for already), then on its
  sale-or-return copies; so unsold copies stay returnable. A sale-or-return copy sold
  is owed at the average price of the sale-or-return copies of that edition received.
  Sales beyond the copies the section received from the publisher owe nothing here
  (copies printed locally, or passed on by another section).

Copies sold are the ledger's: sales less voided sales and customers' returns, which
come back as credits against the latest debts. Each debt is dated (a receipt, a sale);
confirmed remittances pay the oldest debts first, and what remains is aged by the days
since its date.

``owed_by_section`` gives the same totals for every section at once from a handful of
grouped queries (the balances and the shipments, never the sales one by one): the
dashboard and the balances page use it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from tracker.db import utc_day
from tracker.domain.distribution import Direction, ShipmentStatus
from tracker.domain.events import PaymentMethod
from tracker.domain.money import from_minor, precision, to_minor
from tracker.domain.places import PHYSICAL_KINDS, LocationKind
from tracker.domain.stock import Condition
from tracker.domain.terms import Terms
from tracker.models import (
    Balance,
    Edition,
    Event,
    ExchangeRate,
    Location,
    Move,
    Receipt,
    ReceiptLine,
    Remittance,
    Sale,
    SaleLine,
    Section,
    Shipment,
    ShipmentLine,
    Signing,
)
from tracker.queries.money import rates_on

AGES = ("0-30 days", "31-60 days", "61-90 days", "over 90 days")


def age_bucket(days: int) -> str:
    if days <= 30:
        return AGES[0]
    if days <= 60:
        return AGES[1]
    if days <= 90:
        return AGES[2]
    return AGES[3]


@dataclass
class EditionFigures:
    edition: Edition
    received: int = 0
    received_firm: int = 0
    received_sor: int = 0
    returned: int = 0
    sold_unsigned: int = 0
    sold_signed: int = 0
    on_hand_unsigned: int = 0
    on_hand_signed: int = 0
    signed: int = 0
    written_off: int = 0
    owed_firm_minor: int = 0
    owed_sor_minor: int = 0

    @property
    def sold(self) -> int:
        return self.sold_unsigned + self.sold_signed

    @property
    def on_hand(self) -> int:
        return self.on_hand_unsigned + self.on_hand_signed

    @property
    def owed_minor(self) -> int:
        return self.owed_firm_minor + self.owed_sor_minor


@dataclass
class Debt:
    at: datetime
    what: str
    amount_minor: int


@dataclass
class Statement:
    section: Section
    today: date
    editions: list[EditionFigures]
    takings: dict[str, int]
    debts: list[Debt]
    confirmed: list[Remittance]
    pending: list[Remittance]
    aging: dict[str, int] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.section.currency

    def total(self, name: str) -> int:
        return sum(getattr(e, name) for e in self.editions)

    @property
    def takings_total(self) -> int:
        return sum(self.takings.values())

    @property
    def owed_minor(self) -> int:
        return sum(d.amount_minor for d in self.debts)

    @property
    def remitted_minor(self) -> int:
        return sum(r.amount_minor for r in self.confirmed)

    @property
    def pending_minor(self) -> int:
        return sum(r.amount_minor for r in self.pending)

    @property
    def outstanding_minor(self) -> int:
        return self.owed_minor - self.remitted_minor


def _minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def section_statement(session: Session, section_id: int, today: date | None = None) -> Statement:
    today = today or date.today()
    section = session.get(Section, section_id)
    figures: dict[int, EditionFigures] = {}

    def of(edition_id: int) -> EditionFigures:
        if edition_id not in figures:
            figures[edition_id] = EditionFigures(session.get(Edition, edition_id))
        return figures[edition_id]

    # Copies received from the publisher, by terms, with their dates and prices.
    received = session.execute(
        select(
            ShipmentLine.edition_id,
            Shipment.terms,
            ReceiptLine.received,
            ShipmentLine.unit_price_minor,
            Receipt.received_at,
        )
        .join(ReceiptLine.receipt)
        .join(ReceiptLine.shipment_line)
        .join(ShipmentLine.shipment)
        .where(
            Shipment.section_id == section_id,
            Shipment.direction == Direction.OUTBOUND,
            ReceiptLine.received > 0,
        )
        .order_by(Receipt.received_at)
    ).all()
    debts: list[Debt] = []
    sor_value: dict[int, Decimal] = defaultdict(Decimal)
    for edition_id, terms, qty, price, at in received:
        row = of(edition_id)
        row.received += qty
        if terms == Terms.FIRM_SALE:
            row.received_firm += qty
            row.owed_firm_minor += qty * price
            debts.append(
                Debt(
                    at,
                    f"{qty:,} × {row.edition.label} received (firm sale)",  # noqa: RUF001
                    qty * price,
                )
            )
        else:
            row.received_sor += qty
            sor_value[edition_id] += Decimal(qty * price)

    # Copies sent back.
    for edition_id, qty in session.execute(
        select(ShipmentLine.edition_id, func.sum(ShipmentLine.qty))
        .join(ShipmentLine.shipment)
        .where(
            Shipment.section_id == section_id,
            Shipment.direction == Direction.RETURN,
            Shipment.status.in_(
                [ShipmentStatus.DISPATCHED, ShipmentStatus.PARTLY_RECEIVED, ShipmentStatus.RECEIVED]
            ),
        )
        .group_by(ShipmentLine.edition_id)
    ):
        of(edition_id).returned += int(qty)

    # Takings: what the sales brought in, by how they were paid.
    takings: dict[str, int] = {m.value: 0 for m in PaymentMethod}
    for method, amount in session.execute(
        select(Sale.payment_method, func.sum(SaleLine.qty * SaleLine.unit_price_minor))
        .join(SaleLine.sale)
        .where(Sale.section_id == section_id, Sale.voided_at.is_(None))
        .group_by(Sale.payment_method)
    ):
        takings[method] += int(amount)

    # Copies sold, as the ledger has them (sales less voids and returns), day by day: the
    # sale-or-return copies they use up, once the firm-sale copies are used. A day's
    # sales of an edition make one item (a busy store sells hundreds a day).
    customers = section.location_of_kind(LocationKind.CUSTOMERS).id
    day = utc_day(Move.occurred_at, session.get_bind().dialect.name)
    by_day: dict[tuple[date, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for side, condition, sign in (
        (Move.to_location_id, Move.to_condition, 1),
        (Move.from_location_id, Move.from_condition, -1),
    ):
        for when, edition_id, copies_condition, qty in session.execute(
            select(day, Move.edition_id, condition, func.sum(Move.qty))
            .where(side == customers)
            .group_by(day, Move.edition_id, condition)
        ):
            by_day[(when, edition_id)][copies_condition] += sign * int(qty)
    sold = defaultdict(int)
    for (when, edition_id), change_by_condition in sorted(by_day.items()):
        row = of(edition_id)
        row.sold_signed += change_by_condition.get(Condition.SIGNED, 0)
        row.sold_unsigned += change_by_condition.get(Condition.UNSIGNED, 0)
        change = sum(change_by_condition.values())
        before = sold[edition_id]
        sold[edition_id] += change
        terms = _Terms(row.received_firm, row.received_sor, sor_value[edition_id], row.returned)
        amount = terms.sor_owed(sold[edition_id]) - terms.sor_owed(before)
        if amount:
            row.owed_sor_minor += amount
            what = "sold" if change > 0 else "returned by customers or voided"
            debts.append(
                Debt(
                    datetime.combine(when, time(), tzinfo=UTC),
                    f"{abs(change):,} × {row.edition.label} {what} (sale or return)",  # noqa: RUF001
                    amount,
                )
            )

    # Where the copies are now, and what was signed.
    for location, edition_id, condition, qty in session.execute(
        select(Location, Balance.edition_id, Balance.condition, Balance.qty)
        .join(Balance.location)
        .where(Location.section_id == section_id)
    ):
        row = of(edition_id)
        if location.kind in PHYSICAL_KINDS:
            if condition == Condition.SIGNED:
                row.on_hand_signed += qty
            else:
                row.on_hand_unsigned += qty
        elif location.kind == LocationKind.WRITTEN_OFF:
            row.written_off += qty
    for edition_id, qty in session.execute(
        select(Signing.edition_id, func.sum(Signing.qty))
        .join(Signing.event)
        .where(Event.section_id == section_id)
        .group_by(Signing.edition_id)
    ):
        of(edition_id).signed += int(qty)

    remittances = list(
        session.scalars(
            select(Remittance)
            .where(Remittance.section_id == section_id)
            .options(joinedload(Remittance.document))
            .order_by(Remittance.sent_on)
        )
    )
    statement = Statement(
        section=section,
        today=today,
        editions=sorted(figures.values(), key=lambda f: f.edition.label),
        takings=takings,
        debts=sorted(debts, key=lambda d: d.at),
        confirmed=[r for r in remittances if r.confirmed_at is not None],
        pending=[r for r in remittances if r.confirmed_at is None],
    )
    statement.aging = _aged(statement.debts, statement.remitted_minor, today)
    return statement


@dataclass
class _Terms:
    """One section's copies of one edition from the publisher, by terms."""

    firm: int = 0
    sor: int = 0
    sor_value: Decimal = Decimal(0)
    returned: int = 0

    def sor_owed(self, sold: int) -> int:
        """What ``sold`` copies owe for the sale-or-return copies: those sold beyond the
        firm-sale copies, up to the sale-or-return copies kept, at their average price.
        Rounded once, on the total, so that a statement's items add up to it."""
        used = min(max(sold - self.firm, 0), max(self.sor - self.returned, 0))
        return _minor(self.sor_value / self.sor * used) if used else 0


def _aged(debts: list[Debt], paid: int, today: date) -> dict[str, int]:
    """What is still owed, by age: a credit (copies returned, a sale voided) cancels the
    latest debts, and payments settle the oldest first."""
    open_debts: list[list] = []
    for debt in debts:
        if debt.amount_minor >= 0:
            open_debts.append([debt.at, debt.amount_minor])
            continue
        credit = -debt.amount_minor
        while credit and open_debts:
            cancelled = min(credit, open_debts[-1][1])
            open_debts[-1][1] -= cancelled
            credit -= cancelled
            if not open_debts[-1][1]:
                open_debts.pop()
    aging = dict.fromkeys(AGES, 0)
    for at, amount in open_debts:
        settled = min(paid, amount)
        paid -= settled
        if amount - settled:
            aging[age_bucket((today - at.date()).days)] += amount - settled
    return aging


# -- every section at once ---------------------------------------------------------------------


@dataclass
class Owed:
    """A section's account with the publisher, in its own currency (minor units)."""

    firm_minor: int = 0
    sor_minor: int = 0
    remitted_minor: int = 0
    pending_minor: int = 0

    @property
    def owed_minor(self) -> int:
        return self.firm_minor + self.sor_minor

    @property
    def outstanding_minor(self) -> int:
        return self.owed_minor - self.remitted_minor


def owed_by_section(session: Session, section_ids: Iterable[int] | None = None) -> dict[int, Owed]:
    """What each section owes the publisher, by the rules of its statement (totals
    only: no dates, no ageing). Sections that never dealt with the publisher are left
    out."""
    ids = None if section_ids is None else list(section_ids)

    def only(query, column):
        return query if ids is None else query.where(column.in_(ids))

    figures: dict[tuple[int, int], _Terms] = defaultdict(_Terms)
    owed: dict[int, Owed] = defaultdict(Owed)
    for section_id, edition_id, terms, qty, value in session.execute(
        only(
            select(
                Shipment.section_id,
                ShipmentLine.edition_id,
                Shipment.terms,
                func.sum(ReceiptLine.received),
                func.sum(ReceiptLine.received * ShipmentLine.unit_price_minor),
            )
            .join(ReceiptLine.shipment_line)
            .join(ShipmentLine.shipment)
            .where(Shipment.direction == Direction.OUTBOUND, ReceiptLine.received > 0)
            .group_by(Shipment.section_id, ShipmentLine.edition_id, Shipment.terms),
            Shipment.section_id,
        )
    ):
        row = figures[(section_id, edition_id)]
        if terms == Terms.FIRM_SALE:
            row.firm += int(qty)
            owed[section_id].firm_minor += int(value)
        else:
            row.sor += int(qty)
            row.sor_value += Decimal(int(value))
    for section_id, edition_id, qty in session.execute(
        only(
            select(Shipment.section_id, ShipmentLine.edition_id, func.sum(ShipmentLine.qty))
            .join(ShipmentLine.shipment)
            .where(
                Shipment.direction == Direction.RETURN,
                Shipment.status.in_(
                    [
                        ShipmentStatus.DISPATCHED,
                        ShipmentStatus.PARTLY_RECEIVED,
                        ShipmentStatus.RECEIVED,
                    ]
                ),
            )
            .group_by(Shipment.section_id, ShipmentLine.edition_id),
            Shipment.section_id,
        )
    ):
        if (section_id, edition_id) in figures:
            figures[(section_id, edition_id)].returned += int(qty)
    for section_id, edition_id, qty in session.execute(
        only(
            select(Location.section_id, Balance.edition_id, func.sum(Balance.qty))
            .join(Balance.location)
            .where(Location.kind == LocationKind.CUSTOMERS)
            .group_by(Location.section_id, Balance.edition_id),
            Location.section_id,
        )
    ):
        key = (section_id, edition_id)
        if key in figures:
            owed[section_id].sor_minor += figures[key].sor_owed(int(qty))
    for section_id, confirmed, amount in session.execute(
        only(
            select(
                Remittance.section_id,
                Remittance.confirmed_at.is_not(None),
                func.sum(Remittance.amount_minor),
            ).group_by(Remittance.section_id, Remittance.confirmed_at.is_not(None)),
            Remittance.section_id,
        )
    ):
        if confirmed:
            owed[section_id].remitted_minor += int(amount)
        else:
            owed[section_id].pending_minor += int(amount)
    return dict(owed)


# -- every section in one currency -----------------------------------------------------------


def convert(
    minor: int, currency: str, publisher_currency: str, rates: dict[str, ExchangeRate]
) -> tuple[Decimal | None, date | None, int | None]:
    """(rate, the day it was entered for, the amount in the publisher's currency), or
    Nones where no rate was entered: an amount is never converted at a guessed rate."""
    if currency == publisher_currency:
        return Decimal(1), None, minor
    entered = rates.get(currency)
    if entered is None:
        return None, None, None
    amount = from_minor(minor, currency) * entered.rate
    return (
        entered.rate,
        entered.valid_on,
        to_minor(
            amount.quantize(Decimal(1).scaleb(-precision(publisher_currency)), ROUND_HALF_UP),
            publisher_currency,
        ),
    )


@dataclass
class SectionBalance:
    section: Section
    outstanding_minor: int
    pending_minor: int
    rate: Decimal | None
    rate_on: date | None
    converted_minor: int | None


@dataclass
class Balances:
    currency: str
    today: date
    rows: list[SectionBalance]

    @property
    def total_minor(self) -> int:
        return sum(r.converted_minor for r in self.rows if r.converted_minor is not None)

    @property
    def missing_rates(self) -> list[str]:
        return sorted({r.section.currency for r in self.rows if r.converted_minor is None})


def balances(
    session: Session,
    publisher_currency: str,
    today: date | None = None,
    section_id: int | None = None,
) -> Balances:
    """Each section's outstanding balance, and in the publisher's currency where an admin
    entered a rate (no rate, no conversion: such sections are left out of the total)."""
    today = today or date.today()
    query = select(Section).order_by(Section.name)
    if section_id is not None:
        query = query.where(Section.id == section_id)
    sections = list(session.scalars(query))
    owed = owed_by_section(session, [s.id for s in sections])
    rates = rates_on(session, today)
    rows = []
    for section in sections:
        account = owed.get(section.id, Owed())
        rate, valid_on, converted = convert(
            account.outstanding_minor, section.currency, publisher_currency, rates
        )
        rows.append(
            SectionBalance(
                section, account.outstanding_minor, account.pending_minor, rate, valid_on, converted
            )
        )
    return Balances(publisher_currency, today, rows)


# -- events and signings -----------------------------------------------------------------------
