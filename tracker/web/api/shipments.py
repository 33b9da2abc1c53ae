"""Shipments: copies sent from the publisher's warehouse to a section (outbound) or
back (a return), with their lines (edition, copies, the price per copy the section
owes), where they are (draft, dispatched, partly received, received, cancelled) and
what arrived of them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import Response
from pydantic import Field

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.distribution import Direction, ShipmentStatus
from tracker.models import Shipment
from tracker.queries.distribution import shipments as shipments_page
from tracker.services import shipments as service
from tracker.web.access import allow, section_scope
from tracker.web.api import bp
from tracker.web.api.paging import link_header, page, read_cursor
from tracker.web.api.schemas import (
    Day,
    EditionRef,
    Model,
    Money,
    Paging,
    PlaceRef,
    SectionRef,
    edition_ref,
    id_filter,
    moment,
    money,
    place_ref,
    section_ref,
)
from tracker.web.api.spec import answer, document, sent_query
from tracker.web.helpers import actor
from tracker.web.problems import api


class ShipmentsQuery(Paging):
    section: int | None = id_filter()
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    status: ShipmentStatus | None = None
    direction: Direction | None = Field(
        None, description="`outbound` (to a section) or `return` (back to the publisher)."
    )
    since: Day | None = Field(
        None, alias="from", description="Dispatched (a draft: made) on or after this day."
    )
    until: Day | None = Field(
        None, alias="to", description="Dispatched (a draft: made) on or before this day."
    )


class ShipmentLineOut(Model):
    id: int = Field(description="The line's id: a receipt may name the line by it.")
    edition: EditionRef
    copies: int
    price: Money = Field(description="Per copy: what the section owes the publisher for it.")
    value: Money = Field(description="The copies at their price.")
    received: int | None = Field(description="Arrived in good order; null: nothing received yet.")
    damaged: int | None = Field(description="Arrived damaged; null: nothing received yet.")
    missing: int | None = Field(description="Never arrived; null: nothing received yet.")
    outstanding: int = Field(description="Copies no receipt accounts for yet.")


class ShipmentItem(Model):
    id: int
    direction: Literal["outbound", "return"]
    status: str = Field(examples=["draft", "dispatched", "partly_received", "received"])
    section: SectionRef = Field(description="The section it goes to, or comes back from.")
    source: PlaceRef = Field(alias="from")
    destination: PlaceRef = Field(alias="to")
    terms: Literal["firm_sale", "sale_or_return"]
    currency: str
    carrier: str | None
    tracking_number: str | None
    expected_on: date | None = Field(description="Expected arrival.")
    created_at: datetime = Field(description="When the draft was made.")
    dispatched_at: datetime | None
    received_at: datetime | None = Field(description="When the last copies were accounted for.")
    cancelled_at: datetime | None
    overdue: bool = Field(description="On its way after the day it was expected.")
    copies: int
    value: Money
    lines: list[ShipmentLineOut]


class ShipmentsPage(Model):
    items: list[ShipmentItem]
    next: str | None = Field(description="The cursor of the next page; null: no more.")


def _item(shipment: Shipment, today: date) -> ShipmentItem:
    currency = shipment.currency
    received = shipment.status in (ShipmentStatus.PARTLY_RECEIVED, ShipmentStatus.RECEIVED)
    return ShipmentItem.model_validate(
        {
            "id": shipment.id,
            "direction": shipment.direction,
            "status": shipment.status,
            "section": section_ref(shipment.section),
            "from": place_ref(shipment.from_location),
            "to": place_ref(shipment.to_location),
            "terms": shipment.terms,
            "currency": currency,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "expected_on": shipment.expected_on,
            "created_at": moment(shipment.document.created_at),
            "dispatched_at": moment(shipment.dispatched_at),
            "received_at": moment(shipment.received_at),
            "cancelled_at": moment(shipment.cancelled_at),
            "overdue": shipment.is_overdue(today),
            "copies": shipment.copies,
            "value": money(shipment.total_minor, currency),
            "lines": [
                ShipmentLineOut(
                    id=line.id,
                    edition=edition_ref(line.edition),
                    copies=line.qty,
                    price=money(line.unit_price_minor, currency),
                    value=money(line.total_minor, currency),
                    received=line.received_qty if received else None,
                    damaged=line.damaged_qty if received else None,
                    missing=line.missing_qty if received else None,
                    outstanding=line.outstanding,
                )
                for line in shipment.lines
            ],
        }
    )


@bp.get("/shipments")
@allow(*Role)
@api
@document(tag="shipments", query=ShipmentsQuery, answers={200: ShipmentsPage}, problems=[400])
def shipments() -> Response:
    """Shipments, the latest first, with their lines.

    Every shipment the caller may see (a treasurer: their own section's), by number,
    the newest first, as the shipments page lists them; `from` and `to` are days of
    dispatch (of making, for a draft).
    """
    query: ShipmentsQuery = sent_query()
    before = read_cursor(query.cursor, (int,))
    rows = shipments_page(
        db.session,
        section_scope=section_scope(),
        status=query.status,
        section_id=query.section,
        country=query.country,
        direction=query.direction,
        since=query.since,
        until=query.until,
        before_id=None if before is None else before[0],
        limit=query.limit + 1,
    )
    items, following = page(rows, query.limit, lambda shipment: (shipment.id,))
    today = date.today()
    body = ShipmentsPage(items=[_item(s, today) for s in items], next=following)
    return answer(body, headers=link_header(following))


class ReceiptLineOut(Model):
    edition: EditionRef
    received: int
    damaged: int
    missing: int
    reason: str | None = Field(description="Why copies were damaged or missing.")
    note: str | None


class ReceiptOut(Model):
    id: int
    received_at: datetime = Field(description="When the copies arrived.")
    recorded_at: datetime
    lines: list[ReceiptLineOut]


class ShipmentDetail(ShipmentItem):
    reference: str | None = Field(description="An order or invoice number.")
    note: str | None
    receipts: list[ReceiptOut] = Field(description="What arrived, receipt by receipt.")


@bp.get("/shipments/<int:shipment>")
@allow(*Role)
@api
@document(tag="shipments", answers={200: ShipmentDetail}, problems=[404])
def shipment(shipment: int) -> Response:
    """A shipment, its lines and its receipts.

    Each line with its copies, the price per copy and, once copies arrived, how many
    arrived in good order, damaged or never; each receipt with when the copies arrived
    and why any were damaged or missing. Another section's shipment is 404 to a
    treasurer.
    """
    return answer(detail(service.get(db.session, actor(), shipment)))


def detail(found: Shipment) -> ShipmentDetail:
    """A shipment as the API gives it: as read, and as a write answers."""
    return ShipmentDetail.model_validate(
        {
            **_item(found, date.today()).model_dump(by_alias=True),
            "reference": found.document.reference,
            "note": found.document.note,
            "receipts": [
                ReceiptOut(
                    id=receipt.document_id,
                    received_at=moment(receipt.received_at),
                    recorded_at=moment(receipt.document.created_at),
                    lines=[
                        ReceiptLineOut(
                            edition=edition_ref(line.shipment_line.edition),
                            received=line.received,
                            damaged=line.damaged,
                            missing=line.missing,
                            reason=line.reason,
                            note=line.note,
                        )
                        for line in receipt.lines
                    ],
                )
                for receipt in found.receipts
            ],
        }
    )
