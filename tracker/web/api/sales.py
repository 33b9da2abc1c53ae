"""Sales: a batch of keyed sales at one store or event table, the sale screen's own
endpoint and rules (``tracker.web.events.sync``): each sale is answered on its own,
recorded, already recorded (its key sent before with the same content) or refused with
a problem naming the value. And the list of sales, the newest first, with their lines
(``tracker.queries.events.sales_page``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response
from pydantic import ConfigDict, Field

from tracker.db import db
from tracker.domain.accounts import SECTION_RUNNERS, Role
from tracker.domain.events import PaymentMethod
from tracker.models import Sale
from tracker.queries.events import sales_page
from tracker.web.access import allow, section_scope
from tracker.web.api import bp
from tracker.web.api.idempotency import idempotent
from tracker.web.api.paging import link_header, page, read_cursor
from tracker.web.api.schemas import (
    AMOUNT,
    Day,
    EditionRef,
    EventRef,
    Model,
    Money,
    Paging,
    PlaceRef,
    Problem,
    SectionRef,
    edition_ref,
    event_ref,
    id_filter,
    moment,
    money,
    place_ref,
    section_ref,
)
from tracker.web.api.spec import answer, document, sent_query
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


# -- the list of sales ------------------------------------------------------------------------


class SalesQuery(Paging):
    section: int | None = id_filter()
    place: int | None = id_filter("Sold at this store or event table.")
    event: int | None = id_filter()
    since: Day | None = Field(None, alias="from", description="Sold on or after this day (UTC).")
    until: Day | None = Field(None, alias="to", description="Sold on or before this day (UTC).")
    payment: PaymentMethod | None = None
    voided: bool = Field(False, description="Include voided sales too.")


class SaleLineOut(Model):
    edition: EditionRef
    condition: Literal["unsigned", "signed"]
    copies: int
    price: Money = Field(description="What the reader paid for one copy.")


class SaleItem(Model):
    id: int
    section: SectionRef
    place: PlaceRef = Field(description="The store or event table it was sold at.")
    event: EventRef | None
    sold_at: datetime = Field(description="When the copies changed hands.")
    recorded_at: datetime
    payment: str = Field(json_schema_extra={"enum": [method.value for method in PaymentMethod]})
    buyer: str | None
    copies: int
    total: Money
    tendered: Money | None = Field(description="Cash handed over, when noted.")
    lines: list[SaleLineOut]
    voided: bool
    voided_at: datetime | None
    void_reason: str | None


class SalesPage(Model):
    items: list[SaleItem]
    next: str | None = Field(description="The cursor of the next page; null: no more.")


def _sale(sale: Sale) -> SaleItem:
    cur = sale.currency
    return SaleItem(
        id=sale.document_id,
        section=section_ref(sale.section),
        place=place_ref(sale.location),
        event=None if sale.event is None else event_ref(sale.event),
        sold_at=moment(sale.sold_at),
        recorded_at=moment(sale.document.created_at),
        payment=sale.payment_method,
        buyer=sale.buyer_name,
        copies=sale.copies,
        total=money(sale.total_minor, cur),
        tendered=money(sale.tendered_minor, cur),
        lines=[
            SaleLineOut(
                edition=edition_ref(line.edition),
                condition=line.condition,  # type: ignore[arg-type]
                copies=line.qty,
                price=money(line.unit_price_minor, cur),
            )
            for line in sale.lines
        ],
        voided=sale.voided_at is not None,
        voided_at=moment(sale.voided_at),
        void_reason=sale.void_reason,
    )


@bp.get("/sales")
@allow(*Role)
@api
@document(tag="sales", query=SalesQuery, answers={200: SalesPage}, problems=[400])
def sales() -> Response:
    """Sales, the newest first, with their lines.

    Every sale the caller may see (a treasurer: their own section's), by when it
    happened, then by number; voided sales only with `voided=true`. Each with its
    lines, total and payment in the section's currency.
    """
    query: SalesQuery = sent_query()
    rows = sales_page(
        db.session,
        section_scope=section_scope(),
        section_id=query.section,
        location_id=query.place,
        event_id=query.event,
        since=query.since,
        until=query.until,
        payment_method=query.payment,
        with_voided=query.voided,
        after=read_cursor(query.cursor, (datetime, int)),
        limit=query.limit + 1,
    )
    items, following = page(rows, query.limit, lambda sale: (sale.sold_at, sale.document_id))
    body = SalesPage(items=[_sale(s) for s in items], next=following)
    return answer(body, headers=link_header(following))
