"""Copies moved at once, written: transfers between a section's places (a store and an
event's table), and write-offs (damaged, lost, given, sent for review). Each operation
calls the service its form calls (``tracker.services.movements``), with the form's roles
and its places: the open places of open sections the caller may act on."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Response
from pydantic import ConfigDict, Field

from tracker.db import db
from tracker.domain.accounts import Role, may_see
from tracker.domain.distribution import WriteOffReason
from tracker.domain.errors import DomainError, NotFound, about
from tracker.domain.places import PHYSICAL_KINDS
from tracker.domain.words import say
from tracker.models import Document, Location, Transfer, WriteOff
from tracker.queries import stock as stock_queries
from tracker.services import movements as service
from tracker.web.access import allow, section_scope
from tracker.web.api import PREFIX, bp
from tracker.web.api.idempotency import idempotent
from tracker.web.api.schemas import (
    EditionRef,
    Model,
    PlaceRef,
    edition_ref,
    moment,
    place_ref,
)
from tracker.web.api.spec import answer, document, sent_body
from tracker.web.api.writing import Moment, an_id, many
from tracker.web.forms import MAX_LINES
from tracker.web.helpers import actor
from tracker.web.movements.views import KEEPERS
from tracker.web.problems import api

# -- what is sent -----------------------------------------------------------------------------


class CopiesIn(Model):
    edition: int = an_id("The edition's id.")
    condition: Literal["unsigned", "signed"] = "unsigned"
    copies: int = many(description="How many copies.")


class TransferIn(Model):
    from_: int = an_id("The place the copies leave.", alias="from")
    to: int = an_id("The place they go to.")
    lines: list[CopiesIn] = Field(min_length=1, max_length=2 * MAX_LINES)
    when: Moment | None = Field(
        None, description="When they were moved, ISO 8601 with offset; none: now."
    )
    note: str | None = Field(None, max_length=2000)


class WriteOffIn(Model):
    place: int = an_id("The place the copies leave stock at.")
    reason: WriteOffReason = Field(
        description="Why: damaged and lost copies need a note saying what happened."
    )
    lines: list[CopiesIn] = Field(min_length=1, max_length=2 * MAX_LINES)
    when: Moment | None = Field(None, description="When, ISO 8601 with offset; none: now.")
    note: str | None = Field(None, max_length=2000)


# -- what is answered -----------------------------------------------------------------------


class CopiesOut(Model):
    edition: EditionRef
    condition: Literal["unsigned", "signed"]
    copies: int


class TransferOut(Model):
    """A transfer as the API writes it."""

    model_config = ConfigDict(serialize_by_alias=True)

    id: int
    from_: PlaceRef = Field(alias="from")
    to: PlaceRef
    moved_at: datetime
    note: str | None
    created_at: datetime
    lines: list[CopiesOut]


class WriteOffOut(Model):
    """A write-off as the API writes it."""

    id: int
    place: PlaceRef
    reason: WriteOffReason
    written_off_at: datetime
    note: str | None
    created_at: datetime
    lines: list[CopiesOut]


def _lines(document_: Document) -> list[CopiesOut]:
    return [
        CopiesOut(
            edition=edition_ref(move.edition),
            condition=move.from_condition,  # type: ignore[arg-type]
            copies=move.qty,
        )
        for move in stock_queries.document_moves(db.session, document_.id)
    ]


def transfer_out(transfer: Transfer) -> TransferOut:
    body: dict[str, Any] = {
        "id": transfer.document_id,
        "from": place_ref(transfer.from_location),
        "to": place_ref(transfer.to_location),
        "moved_at": moment(transfer.document.occurred_at),
        "note": transfer.document.note,
        "created_at": moment(transfer.document.created_at),
        "lines": _lines(transfer.document),
    }
    return TransferOut.model_validate(body)


def write_off_out(write_off: WriteOff) -> WriteOffOut:
    return WriteOffOut(
        id=write_off.document_id,
        place=place_ref(write_off.location),
        reason=WriteOffReason(write_off.reason),
        written_off_at=moment(write_off.document.occurred_at),
        note=write_off.document.note,
        created_at=moment(write_off.document.created_at),
        lines=_lines(write_off.document),
    )


def _open(place_id: int, field: str) -> None:
    """The forms offer the open places of open sections only (``queries.stock.places``):
    a closed one (an event's table after the event, a store closed, an archived
    section's) is refused here as there. Any other place is the service's to judge."""
    offered = stock_queries.places(db.session, section_scope=section_scope(), warehouse=True)
    if place_id in {place.id for place in offered}:
        return
    place = db.session.get(Location, place_id)
    if place is not None and place.kind in PHYSICAL_KINDS and may_see(actor(), place.section_id):
        with about(field):
            raise DomainError(
                say(
                    "%(place)s is closed: copies no longer move there or from there.",
                    place=place.name,
                )
            )


# -- the operations -------------------------------------------------------------------------


@bp.post("/transfers")
@allow(*KEEPERS)
@api
@document(tag="movements", body=TransferIn, answers={201: TransferOut}, problems=[404, 409])
@idempotent
def create_transfer() -> Response:
    """Move copies from one place to another.

    Between a section's open places (its store and its events' tables), or, for
    distribution staff and admins, between two sections' places; copies leave and enter
    the warehouse by shipments. A treasurer names their own section's places only
    (another's is 404). All lines move or none: a place short of copies is 409
    `insufficient-stock` naming the line.
    """
    sent: TransferIn = sent_body()
    _open(sent.from_, "from")
    _open(sent.to, "to")
    transfer = service.transfer(
        db.session,
        actor(),
        from_location_id=sent.from_,
        to_location_id=sent.to,
        lines=[service.Copies(line.edition, line.copies, line.condition) for line in sent.lines],
        note=sent.note,
        when=sent.when,
    )
    return answer(
        transfer_out(transfer),
        201,
        {"Location": f"{PREFIX}/transfers/{transfer.document_id}"},
    )


@bp.post("/write-offs")
@allow(*KEEPERS)
@api
@document(tag="movements", body=WriteOffIn, answers={201: WriteOffOut}, problems=[404, 409])
@idempotent
def create_write_off() -> Response:
    """Write copies off: they leave stock without a sale.

    Damaged or lost (with a note saying what happened), given away, or sent as review
    copies, from one open place: a section's store or event table, or (distribution
    staff and admins) the warehouse. A treasurer names their own section's places only
    (another's is 404). A place short of copies is 409 `insufficient-stock` naming the
    line.
    """
    sent: WriteOffIn = sent_body()
    _open(sent.place, "place")
    write_off = service.write_off(
        db.session,
        actor(),
        location_id=sent.place,
        reason=sent.reason,
        lines=[service.Copies(line.edition, line.copies, line.condition) for line in sent.lines],
        note=sent.note,
        when=sent.when,
    )
    return answer(
        write_off_out(write_off),
        201,
        {"Location": f"{PREFIX}/write-offs/{write_off.document_id}"},
    )


def _fenced(model: type[Transfer] | type[WriteOff], document_id: int, missing: str) -> Any:
    """The transfer or write-off of a document the caller may see (a treasurer: one
    that moved copies of their section), or 404, as the document's page."""
    found = db.session.get(model, document_id)
    scope = section_scope()
    if found is None or (
        scope is not None
        and scope not in stock_queries.document_section_ids(db.session, document_id)
    ):
        raise NotFound(missing)
    return found


@bp.get("/transfers/<int:transfer>")
@allow(*Role)
@api
@document(tag="movements", answers={200: TransferOut}, problems=[404])
def get_transfer(transfer: int) -> Response:
    """A transfer: where the copies went from and to, when, and its lines.

    The address a transfer's write answers with (`Location`). A treasurer sees the
    transfers of their own section's places only (another's is 404).
    """
    missing = say("There is no transfer #%(id)s.", id=transfer)
    return answer(transfer_out(_fenced(Transfer, transfer, missing)))


@bp.get("/write-offs/<int:write_off>")
@allow(*Role)
@api
@document(tag="movements", answers={200: WriteOffOut}, problems=[404])
def get_write_off(write_off: int) -> Response:
    """A write-off: the place, why, when, and its lines.

    The address a write-off's write answers with (`Location`). A treasurer sees the
    write-offs of their own section's places only (another's is 404).
    """
    missing = say("There is no write-off #%(id)s.", id=write_off)
    return answer(write_off_out(_fenced(WriteOff, write_off, missing)))
