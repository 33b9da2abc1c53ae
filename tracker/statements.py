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

Each debt is dated (a receipt, a sale); confirmed remittances pay the oldest debts
first, and what remains is aged by the days since its date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from tracker.models import (
    PHYSICAL_KINDS,
    Author,
    Balance,
    Condition,
    Direction,
    Edition,
    Event,
    Location,
    LocationKind,
    Move,
    MoveKind,
    PaymentMethod,
    Receipt,
    ReceiptLine,
    Remittance,
    Sale,
    SaleLine,
    Section,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    Signing,
    Terms,
    signing_authors,
)
from tracker.services.money import rate_on

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

    # Sales, in order: takings, and the sale-or-return copies they use up.
    takings: dict[str, int] = {m.value: 0 for m in PaymentMethod}
    firm_left = {e: f.received_firm for e, f in figures.items()}
    sor_left = {e: f.received_sor - f.returned for e, f in figures.items()}
    for line, sale in session.execute(
        select(SaleLine, Sale)
        .join(SaleLine.sale)
        .where(Sale.section_id == section_id, Sale.voided_at.is_(None))
        .order_by(Sale.sold_at, Sale.document_id, SaleLine.id)
    ):
        row = of(line.edition_id)
        if line.condition == Condition.SIGNED:
            row.sold_signed += line.qty
        else:
            row.sold_unsigned += line.qty
        takings[sale.payment_method] += line.qty * line.unit_price_minor
        from_firm = min(line.qty, firm_left.get(line.edition_id, 0))
        firm_left[line.edition_id] = firm_left.get(line.edition_id, 0) - from_firm
        from_sor = min(line.qty - from_firm, max(sor_left.get(line.edition_id, 0), 0))
        if from_sor:
            sor_left[line.edition_id] -= from_sor
            average = sor_value[line.edition_id] / row.received_sor
            amount = _minor(average * from_sor)
            row.owed_sor_minor += amount
            debts.append(
                Debt(
                    sale.sold_at,
                    f"{from_sor:,} × {row.edition.label} sold (sale or return)",  # noqa: RUF001
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


def _aged(debts: list[Debt], paid: int, today: date) -> dict[str, int]:
    """What is still owed, by age: payments settle the oldest debts first."""
    aging = dict.fromkeys(AGES, 0)
    for debt in debts:
        settled = min(paid, debt.amount_minor)
        paid -= settled
        left = debt.amount_minor - settled
        if left:
            aging[age_bucket((today - debt.at.date()).days)] += left
    return aging


# -- every section in one currency -----------------------------------------------------------


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
    from tracker.money import from_minor, to_minor

    today = today or date.today()
    query = select(Section).order_by(Section.name)
    if section_id is not None:
        query = query.where(Section.id == section_id)
    rows = []
    for section in session.scalars(query):
        statement = section_statement(session, section.id, today)
        outstanding = statement.outstanding_minor
        rate, valid_on, converted = None, None, None
        if section.currency == publisher_currency:
            rate, converted = Decimal(1), outstanding
        else:
            entered = rate_on(session, section.currency, today)
            if entered is not None:
                rate, valid_on = entered.rate, entered.valid_on
                amount = from_minor(outstanding, section.currency) * rate
                converted = to_minor(
                    amount.quantize(Decimal(1).scaleb(-2), rounding=ROUND_HALF_UP),
                    publisher_currency,
                )
        rows.append(
            SectionBalance(section, outstanding, statement.pending_minor, rate, valid_on, converted)
        )
    return Balances(publisher_currency, today, rows)


# -- events and signings -----------------------------------------------------------------------


@dataclass
class EventReport:
    event: Event
    brought: int
    returned: int
    sold_unsigned: int
    sold_signed: int
    signed: int
    sales: int
    voided: int
    takings: dict[str, int]
    on_table_unsigned: int
    on_table_signed: int

    @property
    def sold(self) -> int:
        return self.sold_unsigned + self.sold_signed

    @property
    def attendance(self) -> int | None:
        return (
            self.event.actual_attendance
            if self.event.actual_attendance is not None
            else self.event.expected_attendance
        )

    @property
    def per_attendee(self) -> Decimal | None:
        if not self.attendance:
            return None
        return (Decimal(self.sold) / Decimal(self.attendance)).quantize(Decimal("0.01"))

    @property
    def takings_total(self) -> int:
        return sum(self.takings.values())


def event_report(session: Session, event: Event) -> EventReport:
    table = event.location_id

    def transferred(side) -> int:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(Move.qty), 0)).where(
                    Move.kind == MoveKind.TRANSFER, side == table
                )
            )
        )

    brought, returned = transferred(Move.to_location_id), transferred(Move.from_location_id)

    sold = defaultdict(int)
    takings: dict[str, int] = {m.value: 0 for m in PaymentMethod}
    sales = voided = 0
    for sale in session.scalars(select(Sale).where(Sale.event_id == event.id)):
        if sale.voided_at is not None:
            voided += 1
            continue
        sales += 1
        for line in sale.lines:
            sold[line.condition] += line.qty
            takings[sale.payment_method] += line.qty * line.unit_price_minor
    on_table = defaultdict(int)
    for condition, qty in session.execute(
        select(Balance.condition, func.sum(Balance.qty))
        .where(Balance.location_id == table)
        .group_by(Balance.condition)
    ):
        on_table[condition] = int(qty)
    signed = session.scalar(
        select(func.coalesce(func.sum(Signing.qty), 0)).where(Signing.event_id == event.id)
    )
    return EventReport(
        event=event,
        brought=brought,
        returned=returned,
        sold_unsigned=sold[Condition.UNSIGNED],
        sold_signed=sold[Condition.SIGNED],
        signed=int(signed),
        sales=sales,
        voided=voided,
        takings=takings,
        on_table_unsigned=on_table[Condition.UNSIGNED],
        on_table_signed=on_table[Condition.SIGNED],
    )


@dataclass
class AuthorSignings:
    author: Author
    copies: int
    events: int


@dataclass
class Signings:
    by_author: list[AuthorSignings]
    by_event: list[tuple[Event, int]]
    total: int
    signed_left: list[tuple[Section, int]]


def signings(session: Session, section_id: int | None = None) -> Signings:
    """Who signed how many copies, where; and the signed copies still on hand."""
    base = select(Signing).join(Signing.event)
    if section_id is not None:
        base = base.where(Event.section_id == section_id)
    ids = select(Signing.document_id).join(Signing.event)
    if section_id is not None:
        ids = ids.where(Event.section_id == section_id)
    by_author = [
        AuthorSignings(author, int(copies), int(events))
        for author, copies, events in session.execute(
            select(Author, func.sum(Signing.qty), func.count(func.distinct(Signing.event_id)))
            .join(signing_authors, signing_authors.c.author_id == Author.id)
            .join(Signing, Signing.document_id == signing_authors.c.signing_id)
            .where(Signing.document_id.in_(ids))
            .group_by(Author.id, Author.name)
            .order_by(func.sum(Signing.qty).desc(), Author.name)
        )
    ]
    by_event = [
        (event, int(qty))
        for event, qty in session.execute(
            select(Event, func.sum(Signing.qty))
            .join(Signing, Signing.event_id == Event.id)
            .where(Signing.document_id.in_(ids))
            .group_by(Event.id)
            .order_by(Event.starts_on)
        )
    ]
    left_query = (
        select(Section, func.sum(Balance.qty))
        .join(Location, Location.section_id == Section.id)
        .join(Balance, Balance.location_id == Location.id)
        .where(
            Balance.condition == Condition.SIGNED,
            Location.kind.in_([k.value for k in PHYSICAL_KINDS]),
        )
        .group_by(Section.id)
        .order_by(Section.name)
    )
    if section_id is not None:
        left_query = left_query.where(Section.id == section_id)
    signed_left = [(s, int(q)) for s, q in session.execute(left_query) if q]
    return Signings(by_author, by_event, sum(q for _e, q in by_event), signed_left)
