"""A section's statement: what it received, sold and holds, what it owes the
publisher and has remitted, and what is outstanding by age, in its own currency
(``tracker.queries.statements``, the statement page's figures)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response
from pydantic import Field

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.models import Remittance
from tracker.queries import statements
from tracker.web.access import allow
from tracker.web.api import bp
from tracker.web.api.schemas import (
    EditionRef,
    Model,
    Money,
    SectionRef,
    edition_ref,
    moment,
    money,
    section_ref,
)
from tracker.web.api.spec import answer, document
from tracker.web.helpers import section_or_404
from tracker.web.problems import api


class StatementEdition(Model):
    edition: EditionRef
    received: int
    received_firm: int = Field(description="Of them, on firm sale: owed on receipt.")
    received_sor: int = Field(description="Of them, on sale or return: owed when sold.")
    returned: int = Field(description="Sent back to the publisher.")
    sold_unsigned: int
    sold_signed: int
    sold: int = Field(description="Sales less voids and readers' returns.")
    on_hand_unsigned: int
    on_hand_signed: int
    signed: int
    written_off: int
    owed_firm: Money
    owed_sor: Money
    owed: Money


class Debt(Model):
    at: datetime = Field(description="When it became owed (a receipt, a day's sales).")
    what: str
    amount: Money = Field(description="Negative: a credit (copies returned, a sale voided).")


class RemittanceOut(Model):
    id: int
    sent_on: date
    method: str
    reference: str | None
    amount: Money
    confirmed_at: datetime | None = Field(description="null: awaiting confirmation.")


class Statement(Model):
    section: SectionRef
    currency: str = Field(description="The section's: every amount here is in it.")
    on: date = Field(description="The day it was drawn up (ages count to it).")
    editions: list[StatementEdition]
    takings: dict[str, Money] = Field(
        description="What readers paid, by payment method (voided sales left out)."
    )
    takings_total: Money
    owed: Money = Field(description="Owed to the publisher, all told.")
    remitted: Money = Field(description="Remittances the publisher confirmed.")
    pending: Money = Field(description="Remittances sent, not confirmed yet.")
    outstanding: Money = Field(description="Owed less remitted.")
    outstanding_by_age: dict[str, Money] = Field(
        description="By age (0-30, 31-60, 61-90, over 90 days): remittances pay the oldest first."
    )
    debts: list[Debt] = Field(description="What is owed, item by item, oldest first.")
    remittances: list[RemittanceOut] = Field(description="Confirmed, then awaiting, by day sent.")


def _remittance(remittance: Remittance) -> RemittanceOut:
    return RemittanceOut(
        id=remittance.document_id,
        sent_on=remittance.sent_on,
        method=remittance.method,
        reference=remittance.reference,
        amount=money(remittance.amount_minor, remittance.currency),
        confirmed_at=moment(remittance.confirmed_at),
    )


@bp.get("/sections/<int:section>/statement")
@allow(*Role)
@api
@document(tag="money", answers={200: Statement}, problems=[404])
def statement(section: int) -> Response:
    """A section's statement, as of today.

    The statement page's figures, in the section's currency: copies received (firm sale
    and sale or return), returned, sold, on hand, signed and written off by edition;
    takings by payment method; what is owed, remitted, awaiting confirmation and
    outstanding, and the outstanding amount by age. Like the page, it takes no period:
    it is the account as it stands. Another section's statement is 404 to a treasurer.
    """
    chosen = section_or_404(section)
    data = statements.section_statement(db.session, chosen.id)
    cur = data.currency

    def cash(minor: int) -> Money:
        return money(minor, cur)

    body = Statement(
        section=section_ref(chosen),
        currency=cur,
        on=data.today,
        editions=[
            StatementEdition(
                edition=edition_ref(e.edition),
                received=e.received,
                received_firm=e.received_firm,
                received_sor=e.received_sor,
                returned=e.returned,
                sold_unsigned=e.sold_unsigned,
                sold_signed=e.sold_signed,
                sold=e.sold,
                on_hand_unsigned=e.on_hand_unsigned,
                on_hand_signed=e.on_hand_signed,
                signed=e.signed,
                written_off=e.written_off,
                owed_firm=cash(e.owed_firm_minor),
                owed_sor=cash(e.owed_sor_minor),
                owed=cash(e.owed_minor),
            )
            for e in data.editions
        ],
        takings={method: cash(amount) for method, amount in data.takings.items()},
        takings_total=cash(data.takings_total),
        owed=cash(data.owed_minor),
        remitted=cash(data.remitted_minor),
        pending=cash(data.pending_minor),
        outstanding=cash(data.outstanding_minor),
        outstanding_by_age={age: cash(data.aging.get(age, 0)) for age in statements.AGES},
        debts=[
            Debt(at=moment(d.at), what=str(d.what), amount=cash(d.amount_minor)) for d in data.debts
        ],
        remittances=[_remittance(r) for r in data.confirmed + data.pending],
    )
    return answer(body)
