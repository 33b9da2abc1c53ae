"""Shipments, written: a draft to a section, its dispatch, its cancellation, and the
receipt of what arrived (damaged and missing copies included). Each operation calls
the service its page calls (``tracker.services.shipments``, ``tracker.services.receipts``),
with the page's roles; the services keep every rule and name the value an error is
about."""

from __future__ import annotations

from typing import Literal

from flask import Response
from pydantic import Field, model_validator

from tracker.db import db
from tracker.domain.accounts import STAFF
from tracker.domain.distribution import DiscrepancyReason
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
    Model,
)
from tracker.web.api.shipments import ShipmentDetail, detail
from tracker.web.api.spec import answer, document, sent_body
from tracker.web.api.writing import Day, Moment, an_id, many, named
from tracker.web.forms import MAX_LINES
from tracker.web.helpers import actor
from tracker.web.problems import api
from tracker.web.shipments.views import SENDERS

# -- what is sent -----------------------------------------------------------------------------


class ShipmentLineIn(Model):
    edition: int = an_id("The edition's id.")
    copies: int = many(description="Copies of it on the shipment.")
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
    received: int = many(0, zero=True, description="Copies that arrived whole.")
    damaged: int = many(0, zero=True, description="Copies that arrived damaged.")
    missing: int = many(0, zero=True, description="Copies that never arrived.")
    reason: DiscrepancyReason | None = Field(
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


def _answer(shipment: Shipment, status: int = 200) -> Response:
    """The shipment as ``GET /api/v1/shipments/{id}`` gives it, as it is now (its
    status, its lines' counts, its receipts)."""
    db.session.refresh(shipment)
    headers = {"Location": f"{PREFIX}/shipments/{shipment.id}"} if status == 201 else None
    return answer(detail(shipment), status, headers)


# -- the operations -------------------------------------------------------------------------


@bp.post("/shipments")
@allow(*STAFF)
@api
@document(tag="shipments", body=ShipmentIn, answers={201: ShipmentDetail}, problems=[404])
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
        lines=[service.LineInput(line.edition, line.copies, line.price) for line in sent.lines],
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
@document(tag="shipments", body=DispatchIn, answers={200: ShipmentDetail}, problems=[404, 409])
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
@document(tag="shipments", answers={200: ShipmentDetail}, problems=[404, 409])
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
@document(tag="shipments", body=ReceiptIn, answers={200: ShipmentDetail}, problems=[404, 409])
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
