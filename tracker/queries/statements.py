"""What sections owe the publisher: a section's statement, every section's account at
once, and the balances in the publisher's currency.

The rules are the domain's (``tracker.domain.terms``): firm-sale copies owed on receipt,
sale-or-return copies owed when sold (sales draw on firm-sale copies first), copies
sold as the ledger has them (sales less voids and readers' returns). Each debt is dated
(a receipt, a day's sales); confirmed remittances pay the oldest first, and what remains
is aged. ``owed_by_section`` gives the same totals for every section from a handful of
grouped queries (the balances and the shipments, never the sales one by one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Select, cast, func, select
from sqlalchemy.orm import QueryableAttribute, Session, joinedload

from tracker.db import utc_day
from tracker.domain.distribution import Direction, ShipmentStatus
from tracker.domain.events import PaymentMethod
from tracker.domain.money import convert
from tracker.domain.places import PHYSICAL_KINDS, LocationKind
from tracker.domain.stock import Condition
from tracker.domain.terms import AGES, Debt, EditionTerms, Terms, aged
from tracker.domain.words import number, say
from tracker.models import (
    Balance,
    Edition,
    Event,
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
from tracker.queries.prices import rates_on

__all__ = ["AGES", "Balances", "Owed", "Statement", "balances", "owed_by_section"]

# Returns whose copies have left the section: sent back, whatever came of them since.
_SENT = (ShipmentStatus.DISPATCHED, ShipmentStatus.PARTLY_RECEIVED, ShipmentStatus.RECEIVED)


# -- the terms of each section's copies, every section at once ---------------------------------

Key = tuple[int, int]  # (section, edition)
_Query = TypeVar("_Query", bound=Select)


def _only(query: _Query, column: QueryableAttribute[Any], ids: list[int] | None) -> _Query:
    return query if ids is None else query.where(column.in_(ids))


def edition_terms(
    session: Session, section_ids: Iterable[int] | None = None, edition_id: int | None = None
) -> tuple[dict[Key, EditionTerms], dict[int, int]]:
    """The terms of every (section, edition) that received copies from the publisher,
    and what each section owes for its firm-sale copies (minor units)."""
    ids = None if section_ids is None else list(section_ids)
    terms: dict[Key, EditionTerms] = defaultdict(EditionTerms)
    firm_owed: dict[int, int] = defaultdict(int)
    received = (
        select(
            Shipment.section_id,
            ShipmentLine.edition_id,
            Shipment.terms,
            func.sum(ReceiptLine.received),
            func.sum(cast(ReceiptLine.received, BigInteger) * ShipmentLine.unit_price_minor),
        )
        .join(ReceiptLine.shipment_line)
        .join(ShipmentLine.shipment)
        .where(Shipment.direction == Direction.OUTBOUND, ReceiptLine.received > 0)
        .group_by(Shipment.section_id, ShipmentLine.edition_id, Shipment.terms)
    )
    returns = (
        select(
            Shipment.section_id,
            ShipmentLine.edition_id,
            Shipment.status,
            func.sum(ShipmentLine.qty),
        )
        .join(ShipmentLine.shipment)
        .where(Shipment.direction == Direction.RETURN, Shipment.status != ShipmentStatus.CANCELLED)
        .group_by(Shipment.section_id, ShipmentLine.edition_id, Shipment.status)
    )
    if edition_id is not None:
        received = received.where(ShipmentLine.edition_id == edition_id)
        returns = returns.where(ShipmentLine.edition_id == edition_id)
    for section_id, edition, kind, qty, value in session.execute(
        _only(received, Shipment.section_id, ids)
    ):
        row = terms[(section_id, edition)]
        if kind == Terms.FIRM_SALE:
            row.firm += int(qty)
            firm_owed[section_id] += int(value)
        else:
            row.sor += int(qty)
            row.sor_value += Decimal(int(value))
    for section_id, edition, status, qty in session.execute(
        _only(returns, Shipment.section_id, ids)
    ):
        row = terms[(section_id, edition)]
        if status in _SENT:
            row.returned += int(qty)
        else:
            row.reserved += int(qty)
    return dict(terms), dict(firm_owed)


def sold_copies(
    session: Session, section_ids: Iterable[int] | None = None, edition_id: int | None = None
) -> dict[Key, int]:
    """Copies each section has sold, as the ledger has them: its customers' balance."""
    ids = None if section_ids is None else list(section_ids)
    query = (
        select(Location.section_id, Balance.edition_id, func.sum(Balance.qty))
        .join(Balance.location)
        .where(Location.kind == LocationKind.CUSTOMERS)
        .group_by(Location.section_id, Balance.edition_id)
    )
    if edition_id is not None:
        query = query.where(Balance.edition_id == edition_id)
    return {
        (section_id, edition): int(qty)
        for section_id, edition, qty in session.execute(_only(query, Location.section_id, ids))
        if section_id is not None  # the publisher's own customers are no section's
    }


def returnable(session: Session, section_id: int, edition_id: int) -> int:
    """Sale-or-return copies of an edition a section may still send back: the same rule
    its statement owes by (``EditionTerms``)."""
    terms, _firm = edition_terms(session, [section_id], edition_id)
    sold = sold_copies(session, [section_id], edition_id).get((section_id, edition_id), 0)
    return terms.get((section_id, edition_id), EditionTerms()).returnable(sold)


def sor_price(session: Session, section_id: int, edition_id: int) -> int | None:
    """The price per copy (minor units) at which a section received an edition on sale
    or return, on average; None when it received none."""
    terms, _firm = edition_terms(session, [section_id], edition_id)
    return terms.get((section_id, edition_id), EditionTerms()).sor_price


# -- every section's account ---------------------------------------------------------------------


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
    terms, firm_owed = edition_terms(session, ids)
    owed: dict[int, Owed] = defaultdict(Owed)
    for section_id, amount in firm_owed.items():
        owed[section_id].firm_minor += amount
    for key, sold in sold_copies(session, ids).items():
        if key in terms:
            owed[key[0]].sor_minor += terms[key].sor_owed(sold)
    for section_id, confirmed, amount in session.execute(
        _only(
            select(
                Remittance.section_id,
                Remittance.confirmed_at.is_not(None),
                func.sum(Remittance.amount_minor),
            ).group_by(Remittance.section_id, Remittance.confirmed_at.is_not(None)),
            Remittance.section_id,
            ids,
        )
    ):
        if confirmed:
            owed[section_id].remitted_minor += int(amount)
        else:
            owed[section_id].pending_minor += int(amount)
    for key in terms:
        owed.setdefault(key[0], Owed())
    return dict(owed)


# -- one section's statement ----------------------------------------------------------------------


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
    terms: EditionTerms = field(default_factory=EditionTerms)

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


class _Figures(dict[int, EditionFigures]):
    """The statement's figures by edition, made as editions turn up."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def __missing__(self, edition_id: int) -> EditionFigures:
        edition = self.session.get(Edition, edition_id)
        assert edition is not None
        self[edition_id] = figures = EditionFigures(edition)
        return figures


def section_statement(session: Session, section_id: int, today: date | None = None) -> Statement:
    today = today or date.today()
    section = session.get(Section, section_id)
    assert section is not None
    figures = _Figures(session)
    debts = _received(session, section_id, figures)
    _returned(session, section_id, figures)
    debts += _sold(session, section, figures)
    _positions(session, section_id, figures)
    _signed(session, section_id, figures)
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
        takings=_takings(session, section_id),
        debts=sorted(debts, key=lambda d: d.at),
        confirmed=[r for r in remittances if r.confirmed_at is not None],
        pending=[r for r in remittances if r.confirmed_at is None],
    )
    statement.aging = aged(statement.debts, statement.remitted_minor, today)
    return statement


def _received(session: Session, section_id: int, figures: _Figures) -> list[Debt]:
    """Copies received from the publisher, by terms: firm-sale copies owed at once."""
    debts = []
    for edition_id, terms, qty, price, at in session.execute(
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
    ):
        row = figures[edition_id]
        row.received += qty
        if terms == Terms.FIRM_SALE:
            row.received_firm += qty
            row.terms.firm += qty
            row.owed_firm_minor += qty * price
            what = say(
                "%(qty)s × %(edition)s received (firm sale)",  # noqa: RUF001
                qty=number(qty),
                edition=row.edition.label,
            )
            debts.append(Debt(at, what, qty * price))
        else:
            row.received_sor += qty
            row.terms.sor += qty
            row.terms.sor_value += Decimal(qty * price)
    return debts


def _returned(session: Session, section_id: int, figures: _Figures) -> None:
    for edition_id, qty in session.execute(
        select(ShipmentLine.edition_id, func.sum(ShipmentLine.qty))
        .join(ShipmentLine.shipment)
        .where(
            Shipment.section_id == section_id,
            Shipment.direction == Direction.RETURN,
            Shipment.status.in_(_SENT),
        )
        .group_by(ShipmentLine.edition_id)
    ):
        figures[edition_id].returned += int(qty)
        figures[edition_id].terms.returned += int(qty)


def _takings(session: Session, section_id: int) -> dict[str, int]:
    """What the sales brought in, by how they were paid (voided sales left out)."""
    takings: dict[str, int] = {m.value: 0 for m in PaymentMethod}
    for method, amount in session.execute(
        select(
            Sale.payment_method,
            func.sum(cast(SaleLine.qty, BigInteger) * SaleLine.unit_price_minor),
        )
        .join(SaleLine.sale)
        .where(Sale.section_id == section_id, Sale.voided_at.is_(None))
        .group_by(Sale.payment_method)
    ):
        takings[method] += int(amount)
    return takings


def _sold_by_day(session: Session, section: Section) -> dict[tuple[date, int], dict[str, int]]:
    """The change in copies sold (sales less voids and readers' returns) by day, edition
    and condition: a day's sales of an edition make one item (a store sells hundreds)."""
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
    return by_day


def _sold(session: Session, section: Section, figures: _Figures) -> list[Debt]:
    """Copies sold day by day, and the sale-or-return copies they use up once the
    firm-sale copies are used: owed, or (when sales are undone) credited."""
    debts = []
    sold: dict[int, int] = defaultdict(int)
    for (when, edition_id), change_by_condition in sorted(_sold_by_day(session, section).items()):
        row = figures[edition_id]
        row.sold_signed += change_by_condition.get(Condition.SIGNED, 0)
        row.sold_unsigned += change_by_condition.get(Condition.UNSIGNED, 0)
        change = sum(change_by_condition.values())
        before = sold[edition_id]
        sold[edition_id] += change
        amount = row.terms.sor_owed(sold[edition_id]) - row.terms.sor_owed(before)
        if amount:
            row.owed_sor_minor += amount
            values = {"qty": number(abs(change)), "edition": row.edition.label}
            what = (
                say("%(qty)s × %(edition)s sold (sale or return)", **values)  # noqa: RUF001
                if change > 0
                else say(
                    "%(qty)s × %(edition)s returned by customers or voided (sale or return)",  # noqa: RUF001
                    **values,
                )
            )
            debts.append(Debt(datetime.combine(when, time(), tzinfo=UTC), what, amount))
    return debts


def _positions(session: Session, section_id: int, figures: _Figures) -> None:
    """Where the section's copies are now: on hand by condition, written off."""
    for kind, edition_id, condition, qty in session.execute(
        select(Location.kind, Balance.edition_id, Balance.condition, Balance.qty)
        .join(Balance.location)
        .where(Location.section_id == section_id)
    ):
        row = figures[edition_id]
        if kind in PHYSICAL_KINDS:
            if condition == Condition.SIGNED:
                row.on_hand_signed += qty
            else:
                row.on_hand_unsigned += qty
        elif kind == LocationKind.WRITTEN_OFF:
            row.written_off += qty


def _signed(session: Session, section_id: int, figures: _Figures) -> None:
    for edition_id, qty in session.execute(
        select(Signing.edition_id, func.sum(Signing.qty))
        .join(Signing.event)
        .where(Event.section_id == section_id)
        .group_by(Signing.edition_id)
    ):
        figures[edition_id].signed += int(qty)


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
