"""What a section owes the publisher, and what it may send back: the terms.

* Firm-sale copies are owed when they are received, at the price agreed on the shipment
  (damaged and missing copies are not owed).
* Sale-or-return copies are owed when they are sold, at the average price of the
  sale-or-return copies of that edition the section received; unsold ones may go back.
* Sales draw on the section's firm-sale copies first (they are paid for already), then
  on its sale-or-return copies; so unsold copies stay returnable. Sales beyond what the
  section received from the publisher owe nothing here (copies printed locally, or
  passed on by another section).
* Copies sold are the ledger's: sales less voids and readers' returns.

One rule for both questions, asked by the statements and by returns alike: how many of
the copies sold are sale-or-return copies (``EditionTerms.sor_sold``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from tracker.domain.words import say, say_mark


class Terms(StrEnum):
    FIRM_SALE = "firm_sale"  # owed on receipt
    SALE_OR_RETURN = "sale_or_return"  # owed when sold; unsold copies may come back

    @property
    def label(self) -> str:
        return say(_TERMS_LABELS[self.value])


# Each kind of terms in English; ``label`` says it in the reader's language.
_TERMS_LABELS = {"firm_sale": say_mark("firm sale"), "sale_or_return": say_mark("sale or return")}


def round_minor(value: Decimal) -> int:
    """An amount of minor units, rounded half up to a whole one."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class EditionTerms:
    """One section's copies of one edition from the publisher, by terms."""

    # Received, by terms; the value of the sale-or-return copies received (minor units).
    firm: int = 0
    sor: int = 0
    sor_value: Decimal = Decimal(0)
    # Sent back to the publisher (dispatched, or received there).
    returned: int = 0
    # On a return not dispatched yet (a draft): not sent, but no longer to be offered.
    reserved: int = 0

    def sor_sold(self, sold: int) -> int:
        """Of ``sold`` copies (the ledger's net sales), those that are sale-or-return
        copies: beyond the firm-sale ones, up to the sale-or-return copies kept."""
        return min(max(sold - self.firm, 0), max(self.sor - self.returned, 0))

    def sor_owed(self, sold: int) -> int:
        """What ``sold`` copies owe for the sale-or-return copies, at their average
        price. Rounded once, on the total, so that a statement's items add up to it."""
        used = self.sor_sold(sold)
        return round_minor(self.sor_value / self.sor * used) if used else 0

    def returnable(self, sold: int) -> int:
        """Sale-or-return copies received, not sold, not sent back nor being sent."""
        return max(0, self.sor - self.returned - self.reserved - self.sor_sold(sold))

    @property
    def sor_price(self) -> int | None:
        """The average price of a sale-or-return copy received (minor units)."""
        return round_minor(self.sor_value / self.sor) if self.sor else None


# -- what is still owed, by age ----------------------------------------------------------

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
class Debt:
    """An amount owed from a day (a receipt, a day's sales); negative: a credit."""

    at: datetime
    what: str
    amount_minor: int


def aged(debts: list[Debt], paid: int, today: date) -> dict[str, int]:
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
