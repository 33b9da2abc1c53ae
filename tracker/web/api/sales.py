"""Sales: a batch of keyed sales at one store or event table, the sale screen's own
endpoint and rules (``tracker.web.events.sync``): each sale is answered on its own,
recorded, already recorded (its key sent before with the same content) or refused with
a problem naming the value."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response
from pydantic import ConfigDict, Field

from tracker.domain.accounts import SECTION_RUNNERS
from tracker.domain.events import PaymentMethod
from tracker.web.access import allow
from tracker.web.api import bp
from tracker.web.api.idempotency import idempotent
from tracker.web.api.schemas import AMOUNT, Model, Problem
from tracker.web.api.spec import answer, document
from tracker.web.events import sync
from tracker.web.forms import MAX_LINES
from tracker.web.problems import api

ID = Field(ge=1, le=2**31 - 1)


class SaleLineIn(Model):
    edition: int = ID
    qty: int = Field(1, ge=1, le=10_000)
    condition: Literal["unsigned", "signed"] = "unsigned"
    price: str | None = Field(
        None, pattern=AMOUNT, description="Per copy; none: the section's price for it."
    )


class SaleIn(Model):
    key: str = Field(
        description="A UUID the client makes for this sale: sent again, it lands on the "
        "first sale.",
        examples=["3f1c2a9e-8d4b-4f6a-9c1e-2b7d5e8f0a13"],
    )
    lines: list[SaleLineIn] = Field(min_length=1, max_length=MAX_LINES)
    payment: str = Field(json_schema_extra={"enum": [method.value for method in PaymentMethod]})
    made_at: datetime | None = Field(
        None, description="When it was sold, ISO 8601 with offset; none: now."
    )
    tendered: str | None = Field(None, pattern=AMOUNT, description="Cash handed over.")
    buyer: str | None = Field(None, max_length=200)


class SalesIn(Model):
    sales: list[SaleIn] = Field(min_length=1, max_length=sync.MAX_BATCH)


class SaleOut(Model):
    model_config = ConfigDict(extra="allow")

    id: int
    sold_at: datetime
    total: str = Field(pattern=AMOUNT)
    currency: str
    copies: int


class SaleResult(Model):
    key: str | None
    status: Literal["recorded", "already_recorded", "refused"]
    sale: SaleOut | None = None
    error: Problem | None = None


class SalesAnswer(Model):
    model_config = ConfigDict(extra="allow")

    results: list[SaleResult]
    stock: dict[str, int] = Field(
        description="Copies left at the place: `edition:condition` -> copies."
    )
    tally: dict[str, Any]
    last: dict[str, Any] | None


@bp.post("/places/<int:place>/sales")
@allow(*SECTION_RUNNERS)
@api
@document(tag="sales", body=SalesIn, answers={200: SalesAnswer}, problems=[404, 409, 413])
@idempotent
def record_sales(place: int) -> Response:
    """Record a batch of sales at a store or an event table.

    Up to 200 sales, each with its own key; each is answered on its own (recorded,
    already recorded, refused with a problem naming the value). The sale screen's own
    rules: the place must be the caller's section's, the copies must be there at the
    moment of the sale, the event open and the period not closed.
    """
    try:
        sent = sync.sales_sent()
    except sync.Refused as refused:
        return refused.response
    return answer(SalesAnswer.model_validate(sync.answer_sales(place, sent)))
