"""Shipments, written: a draft to a section, its dispatch, its cancellation, and the
receipt of what arrived (damaged and missing copies included). Each operation calls
the service its page calls (``tracker.services.shipments``, ``tracker.services.receipts``),
with the page's roles; the services keep every rule and name the value an error is
about."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from flask import Response
from pydantic import ConfigDict, Field, model_validator

from tracker.db import db
from tracker.domain.accounts import STAFF
from tracker.domain.distribution import DiscrepancyReason, ShipmentStatus
from tracker.domain.errors import DomainError, about
from tracker.domain.terms import Terms
from tracker.domain.words import say
from tracker.models import Shipment
from tracker.services import receipts
from tracker.services import shipments as service
from tracker.web.access import allow
from tracker.web.api import PREFIX, bp
from tracker.web.api.idempotency import idempotent
from tracker.web.api.schemas import (
    AMOUNT,
    EditionRef,
    Model,
    Money,
    PlaceRef,
    SectionRef,
    edition_ref,
    moment,
    money,
    place_ref,
    section_ref,
)
from tracker.web.api.spec import answer, document, sent_body
from tracker.web.api.writing import Day, Moment, an_id, copies, named
from tracker.web.forms import MAX_LINES
from tracker.web.helpers import actor
from tracker.web.problems import api
from tracker.web.shipments.views import SENDERS

# -- what is sent -----------------------------------------------------------------------------


class ShipmentLineIn(Model):
    edition: int = an_id("The edition's id.")
    qty: int = copies(description="Copies of it on the shipment.")
    price: str | None = Field(
        None,
        pattern=AMOUNT,
        max_length=30,
        description="What the section owes for one copy, in its currency, as a decimal "
        "string (`4.50`). Required on a shipment to a section, as on its page.",
    )


class ShipmentIn(Model):
    section: int = an_id("The section the copies go to.")
    store: int | None = an_id("Which of its open stores; none: its first.", default=None)
    lines: list[ShipmentLineIn] = Field(min_length=1, max_length=MAX_LINES)
    terms: Literal["firm_sale", "sale_or_return"] = Field(
        Terms.FIRM_SALE.value,
        description="Firm sale (owed on receipt) or sale or return (owed when sold).",
    )
    carrier: str | None = Field(None, max_length=100)
    tracking_number: str | None = Field(None, max_length=100)
    expected_on: Day | None = Field(None, description="The day it is expected to arrive.")
    reference: str | None = Field(None, max_length=120, description="An order or invoice number.")
    note: str | None = Field(None, max_length=2000)


class DispatchIn(Model):
    dispatched_at: Moment | None = Field(
        None,
        description="When it left, ISO 8601 with offset (a shipment sent before it was "
        "recorded); none: now. Send `{}` for now.",
    )


class ReceiptLineIn(Model):
    line: int | None = an_id("The shipment line's id (or give `edition`).", default=None)
    edition: int | None = an_id("The edition of the line (or give `line`).", default=None)
    received: int = copies(0, zero=True, description="Copies that arrived whole.")
    damaged: int = copies(0, zero=True, description="Copies that arrived damaged.")
    missing: int = copies(0, zero=True, description="Copies that never arrived.")
    reason: Literal[tuple(r.value for r in DiscrepancyReason)] | None = Field(  # type: ignore[valid-type]
        None, description="Why copies are damaged or missing: required when any are."
    )
    note: str | None = Field(None, max_length=500, description="Required with reason `other`.")

    @model_validator(mode="after")
    def _one_line(self) -> ReceiptLineIn:
        if (self.line is None) == (self.edition is None):
            raise ValueError("Give the shipment line's id (line) or its edition, one of them.")
        return self


class ReceiptIn(Model):
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=MAX_LINES)
    received_at: Moment | None = Field(
        None, description="When the copies arrived, ISO 8601 with offset; none: now."
    )
    note: str | None = Field(None, max_length=2000)


# -- what is answered -----------------------------------------------------------------------


class ShipmentLineOut(Model):
    id: int
    edition: EditionRef
    qty: int
    price: Money
    received: int
    damaged: int
    missing: int
    outstanding: int = Field(description="Copies not yet accounted for by a receipt.")


class ReceiptRef(Model):
    id: int
    received_at: datetime


class ShipmentOut(Model):
    """A shipment as the API writes it."""

    model_config = ConfigDict(serialize_by_alias=True)

    id: int
    direction: Literal["outbound", "return"]
    status: Literal[tuple(s.value for s in ShipmentStatus)]  # type: ignore[valid-type]
    section: SectionRef
    from_: PlaceRef = Field(alias="from")
    to: PlaceRef
    terms: Literal["firm_sale", "sale_or_return"]
    currency: str
    copies: int
    total: Money
    carrier: str | None
    tracking_number: str | None
    expected_on: date | None
    reference: str | None
    note: str | None
    created_at: datetime
    dispatched_at: datetime | None
    received_at: datetime | None
    cancelled_at: datetime | None
    lines: list[ShipmentLineOut]
    receipts: list[ReceiptRef]


def shipment_out(shipment: Shipment) -> ShipmentOut:
    currency = shipment.currency
    body: dict[str, Any] = {
        "id": shipment.id,
        "direction": shipment.direction,
        "status": shipment.status,
        "section": section_ref(shipment.section),
        "from": place_ref(shipment.from_location),
        "to": place_ref(shipment.to_location),
        "terms": shipment.terms,
        "currency": currency,
        "copies": shipment.copies,
        "total": money(shipment.total_minor, currency),
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "expected_on": shipment.expected_on,
        "reference": shipment.document.reference,
        "note": shipment.document.note,
        "created_at": moment(shipment.document.created_at),
        "dispatched_at": moment(shipment.dispatched_at),
        "received_at": moment(shipment.received_at),
        "cancelled_at": moment(shipment.cancelled_at),
        "lines": [
            ShipmentLineOut(
                id=line.id,
                edition=edition_ref(line.edition),
                qty=line.qty,
                price=money(line.unit_price_minor, currency),  # type: ignore[arg-type]
                received=line.received_qty,
                damaged=line.damaged_qty,
                missing=line.missing_qty,
                outstanding=line.outstanding,
            )
            for line in shipment.lines
        ],
        "receipts": [
            ReceiptRef(id=r.document_id, received_at=moment(r.received_at))  # type: ignore[arg-type]
            for r in shipment.receipts
        ],
    }
    return ShipmentOut.model_validate(body)


def _answer(shipment: Shipment, status: int = 200) -> Response:
    db.session.refresh(shipment)  # as it is now: its status, its lines' counts, its receipts
    headers = {"Location": f"{PREFIX}/shipments/{shipment.id}"} if status == 201 else None
    return answer(shipment_out(shipment), status, headers)


# -- the operations -------------------------------------------------------------------------


@bp.post("/shipments")
@allow(*STAFF)
@api
@document(tag="shipments", body=ShipmentIn, answers={201: ShipmentOut}, problems=[404])
@idempotent
def create_shipment() -> Response:
    """Draft a shipment from the warehouse to a section.

    The draft names the section (and, if it has several, the store), the copies of each
    edition and what the section owes for one copy, the terms, and how it travels. Nothing
    moves yet: dispatch it when it leaves. Distribution staff and admins, as the page.
    Answers the shipment, with `Location` its address.
    """
    sent: ShipmentIn = sent_body()
    shipment = service.create(
        db.session,
        actor(),
        direction="outbound",
        section_id=sent.section,
        store_id=sent.store,
        lines=[service.LineInput(line.edition, line.qty, line.price) for line in sent.lines],
        terms=sent.terms,
        carrier=sent.carrier,
        tracking_number=sent.tracking_number,
        expected_on=sent.expected_on,
        reference=sent.reference,
        note=sent.note,
    )
    return _answer(shipment, 201)


@bp.post("/shipments/<int:shipment>/dispatch")
@allow(*SENDERS)
@api
@document(tag="shipments", body=DispatchIn, answers={200: ShipmentOut}, problems=[404, 409])
@idempotent
def dispatch_shipment(shipment: int) -> Response:
    """Dispatch a draft shipment: its copies leave for the section.

    Every line's copies go from the warehouse into transit at once, or none do: if the
    warehouse lacks copies of a line, the answer is 409 `insufficient-stock` naming it
    (`lines[1]`) and nothing moves. Returns are dispatched by their section's treasurer;
    shipments to sections by distribution staff and admins, as the page.
    """
    sent: DispatchIn = sent_body()
    with named(when="dispatched_at"):
        done = service.dispatch(db.session, actor(), shipment, when=sent.dispatched_at)
    return _answer(done)


@bp.post("/shipments/<int:shipment>/cancel")
@allow(*SENDERS)
@api
@document(tag="shipments", answers={200: ShipmentOut}, problems=[404, 409])
@idempotent
def cancel_shipment(shipment: int) -> Response:
    """Cancel a draft shipment.

    Only a draft may be cancelled (nothing of it has moved); a dispatched one is 409.
    Send an empty object, `{}`, as the body.
    """
    return _answer(service.cancel(db.session, actor(), shipment))


@bp.post("/shipments/<int:shipment>/receipt")
@allow(*SENDERS)
@api
@document(tag="shipments", body=ReceiptIn, answers={200: ShipmentOut}, problems=[404, 409])
@idempotent
def receive_shipment(shipment: int) -> Response:
    """Record what arrived of a dispatched shipment.

    For each line (its id, or its edition): the copies received whole, damaged and
    missing, and why any are damaged or missing. Damaged and missing copies are written
    off as lost in transit; copies not yet counted stay in transit for a later receipt.
    The section's treasurer (another section's shipment is 404) or distribution staff
    and admins, as the page. Answers the shipment as it is now.
    """
    sent: ReceiptIn = sent_body()
    found = service.get(db.session, actor(), shipment)
    with named(when="received_at"):
        receipts.receive(
            db.session,
            actor(),
            found.id,
            [_receipt_line(found, index, line) for index, line in enumerate(sent.lines)],
            note=sent.note,
            when=sent.received_at,
        )
    return _answer(found)


def _receipt_line(shipment: Shipment, index: int, sent: ReceiptLineIn) -> receipts.ReceiptInput:
    line_id = sent.line
    if line_id is None:
        by_edition = {line.edition_id: line.id for line in shipment.lines}
        line_id = by_edition.get(sent.edition)  # type: ignore[arg-type]
        if line_id is None:
            with about(f"lines[{index}].edition"):
                raise DomainError(
                    say(
                        "Edition %(edition)s is not on shipment #%(shipment)s.",
                        edition=sent.edition,
                        shipment=shipment.id,
                    )
                )
    return receipts.ReceiptInput(
        line_id, sent.received, sent.damaged, sent.missing, sent.reason, sent.note
    )
