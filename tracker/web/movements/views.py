"""Transfers, write-offs, stocktakes and deliveries from the printer."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from tracker.db import db
from tracker.domain.accounts import STAFF, Role
from tracker.domain.stock import Condition
from tracker.models import Edition, Event, Location, Transfer
from tracker.queries import catalogue, distribution
from tracker.queries import events as event_queries
from tracker.queries import stock as stock_queries
from tracker.queries.places import get_location, get_stocktake
from tracker.services import movements as service
from tracker.web.access import allow, has_role, require_section, section_scope, signed_in
from tracker.web.exports import column, export, requested_format
from tracker.web.forms import choices, edition_choice
from tracker.web.helpers import actor, document_url, form_status, keyset_page, submit
from tracker.web.inputs import query_id
from tracker.web.movements.forms import (
    PrintRunForm,
    StocktakeForm,
    StocktakeStartForm,
    TransferForm,
    WriteOffForm,
)

bp = Blueprint("movements", __name__)

KEEPERS = (*STAFF, Role.TREASURER)
PUBLISHER_READERS = (Role.ADMIN, Role.DISTRIBUTOR, Role.COORDINATOR)


def _places(*, warehouse: bool) -> list[Location]:
    return stock_queries.places(db.session, section_scope=section_scope(), warehouse=warehouse)


def _place_choices(rows: list[Location]) -> list:
    publisher = _("Publisher")
    return choices(
        [("", _("Choose a place"))]
        + [(p.id, f"{p.section.name if p.section else publisher} · {p.name}") for p in rows]
    )


@dataclass
class Bringing:
    """Copies brought from a place (a store) to an event's table, as the event's page
    asks: only what the place holds is offered, with how many it holds."""

    source: Location
    event: Event
    held: dict[tuple[int, str], int]


def _bringing(places: list[Location]) -> Bringing | None:
    """The copies asked for by the address (``?from=&to=``) go to an open event's
    table from another place the user may move copies from: what that place holds."""
    by_id = {p.id: p for p in places}
    source, table = by_id.get(query_id("from") or 0), by_id.get(query_id("to") or 0)
    if source is None or table is None or source.id == table.id:
        return None
    event = event_queries.event_at_table(db.session, table.id)
    if event is None:
        return None
    held = {
        key: qty
        for key, qty in stock_queries.expected_stock(db.session, source.id).items()
        if qty > 0
    }
    return Bringing(source, event, held)


def _edition_rows(
    form_lines,
    *,
    conditions=(Condition.UNSIGNED, Condition.SIGNED),
    held: dict[tuple[int, str], int] | None = None,
) -> None:
    """One line per edition and condition (of those not archived), on a form being
    shown; only those ``held`` (at the place the copies come from) when it is given."""
    for edition in catalogue.list_editions(db.session, choosable=True):
        for condition in conditions:
            if held is None or held.get((edition.id, condition.value)):
                form_lines.append_entry(
                    {"edition_id": str(edition.id), "condition": condition.value}
                )


def _copies(form_lines) -> list[service.Copies]:
    return [
        service.Copies(e.edition_id.data, e.qty.data, e.condition.data)
        for e in form_lines
        if e.qty.data
    ]


def _editions() -> dict[str, Edition]:
    return {str(e.id): e for e in catalogue.list_editions(db.session)}


def _page(rows: list, limit: int) -> dict:
    """A page of documents, newest first (keyed by their document's id), as the list
    templates take it: ``rows`` and the ``older`` page's arguments."""
    page = keyset_page(
        rows, limit, lambda row: getattr(row, "document_id", None) or row.document.id
    )
    return {"rows": page.rows, "older": page.older}


def _listing(template: str, stem: str, header: list[str], rows_of, page_of, **context):
    """A list of documents, newest first, a page at a time; or all of them exported
    (``?format=``), read in chunks as the file is sent. Limited to the user's section."""
    scope = section_scope()
    if requested_format():
        return export(stem, header, functools.partial(rows_of, section_scope=scope))
    limit = current_app.config["MOVES_PER_PAGE"]
    rows = page_of(db.session, section_scope=scope, before_id=query_id("before"), limit=limit + 1)
    return render_template(template, **_page(rows, limit), **context)


def _done(document_id: int, message: str):
    flash(message, "success")
    return redirect(document_url(document_id))


def _by(document) -> str:
    return document.created_by.email if document.created_by else ""


# The exports' rows, read from the session they are given (a whole table, in chunks).


def _transfer_rows(session: Session, section_scope: int | None):
    for r in distribution.all_transfers(session, section_scope=section_scope):
        yield [
            r.document.id,
            r.document.occurred_at,
            r.detail.from_location.name,
            r.detail.to_location.name,
            r.copies,
            r.editions,
            _by(r.document),
            r.document.note,
            r.document.created_at,
        ]


def _write_off_rows(session: Session, section_scope: int | None):
    for r in distribution.all_write_offs(session, section_scope=section_scope):
        yield [
            r.document.id,
            r.document.occurred_at,
            r.detail.location.name,
            r.detail.reason_label,
            r.copies,
            r.editions,
            _by(r.document),
            r.document.note,
            r.document.created_at,
        ]


def _stocktake_rows(session: Session, section_scope: int | None):
    for s in distribution.all_stocktakes(session, section_scope=section_scope):
        for line in s.lines:
            yield [
                s.document_id,
                s.document.occurred_at,
                s.location.name,
                line.edition.label,
                line.condition,
                line.expected,
                line.counted,
                line.difference,
                "yes" if s.blind else "",
                s.reason,
                _by(s.document),
                s.document.created_at,
            ]


def _print_run_rows(session: Session):
    for r in distribution.all_print_runs(session):
        yield [
            r.document.id,
            r.occurred_at,
            r.edition.label,
            r.edition.isbn,
            r.copies,
            r.document.reference,
            _by(r.document),
            r.document.note,
            r.document.created_at,
        ]


# -- transfers -----------------------------------------------------------------------------


@bp.get("/transfers")
@signed_in
def transfers():
    return _listing(
        "movements/transfers.html",
        "transfers",
        [
            column("document"),
            column("date"),
            column("from"),
            column("to"),
            column("copies"),
            column("what"),
            column("by"),
            column("note"),
            column("recorded"),
        ],
        _transfer_rows,
        distribution.transfers,
    )


@bp.route("/transfers/new", methods=["GET", "POST"])
@allow(*KEEPERS)
def new_transfer():
    form = TransferForm()
    places = _places(warehouse=False)
    form.from_location_id.choices = form.to_location_id.choices = _place_choices(places)
    bringing = _bringing(places)
    if not form.is_submitted():
        _edition_rows(form.lines, held=bringing.held if bringing else None)
        form.from_location_id.data = query_id("from")
        form.to_location_id.data = query_id("to")
    response = submit(
        form,
        lambda: service.transfer(
            db.session,
            actor(),
            from_location_id=form.from_location_id.data,
            to_location_id=form.to_location_id.data,
            lines=_copies(form.lines),
            note=form.note.data,
            key=form.submission_key.data,
            when=form.moved_at.when,
        ),
        _moved,
    )
    return response or (
        render_template(
            "movements/transfer_form.html", form=form, editions=_editions(), bringing=bringing
        ),
        form_status(form),
    )


def _moved(transfer: Transfer):
    """Back to the event whose table the copies came to (its Sell button first), else
    to the transfer."""
    event = event_queries.event_at_table(db.session, transfer.to_location_id)
    if event is None:
        return _done(
            transfer.document_id,
            _(
                "Transfer #%(id)s recorded: %(source)s → %(destination)s.",
                id=transfer.document_id,
                source=transfer.from_location.name,
                destination=transfer.to_location.name,
            ),
        )
    flash(
        _(
            "Transfer #%(id)s recorded: copies from %(source)s are on the table of %(event)s.",
            id=transfer.document_id,
            source=transfer.from_location.name,
            event=event.name,
        ),
        "success",
    )
    return redirect(url_for("events.detail", event_id=event.id))


# -- write-offs ----------------------------------------------------------------------------


@bp.get("/write-offs")
@signed_in
def write_offs():
    return _listing(
        "movements/write_offs.html",
        "write-offs",
        [
            column("document"),
            column("date"),
            column("place"),
            column("reason"),
            column("copies"),
            column("what"),
            column("by"),
            column("note"),
            column("recorded"),
        ],
        _write_off_rows,
        distribution.write_offs,
    )


@bp.route("/write-offs/new", methods=["GET", "POST"])
@allow(*KEEPERS)
def new_write_off():
    form = WriteOffForm()
    form.location_id.choices = _place_choices(_places(warehouse=True))
    if not form.is_submitted():
        _edition_rows(form.lines)
        form.location_id.data = query_id("location")
    response = submit(
        form,
        lambda: service.write_off(
            db.session,
            actor(),
            location_id=form.location_id.data,
            reason=form.reason.data,
            lines=_copies(form.lines),
            note=form.note.data,
            key=form.submission_key.data,
            when=form.written_off_on.when,
        ),
        lambda w: _done(w.document_id, _("Write-off #%(id)s recorded.", id=w.document_id)),
    )
    return response or (
        render_template("movements/write_off_form.html", form=form, editions=_editions()),
        form_status(form),
    )


# -- stocktakes ----------------------------------------------------------------------------


@bp.get("/stocktakes")
@signed_in
def stocktakes():
    start = StocktakeStartForm()
    start.location_id.choices = _place_choices(_places(warehouse=True))
    return _listing(
        "movements/stocktakes.html",
        "stocktakes",
        [
            column("document"),
            column("date"),
            column("place"),
            column("edition"),
            column("condition"),
            column("expected"),
            column("counted"),
            column("difference"),
            column("blind"),
            column("reason"),
            column("by"),
            column("recorded"),
        ],
        _stocktake_rows,
        distribution.stocktakes,
        start=start,
        can_count=has_role(*KEEPERS),
    )


@bp.route("/stocktakes/new", methods=["GET", "POST"])
@allow(*KEEPERS)
def new_stocktake():
    location_id = query_id("location_id")
    place = get_location(db.session, location_id) if location_id else None
    if place is None or not place.is_physical:
        flash(_("Choose the location to count."), "error")
        return redirect(url_for("movements.stocktakes"))
    require_section(place.section_id)
    blind = request.args.get("blind") in ("y", "1", "on", "true")
    form = StocktakeForm()
    expected = stock_queries.expected_stock(db.session, place.id)
    if not form.is_submitted():
        _count_rows(form, expected)
    response = submit(
        form,
        lambda: service.stocktake(
            db.session,
            actor(),
            location_id=place.id,
            counts=[
                service.Copies(e.edition_id.data, e.counted.data, e.condition.data)
                for e in form.lines
                if e.counted.data is not None
            ],
            blind=blind,
            reason=form.reason.data,
            note=form.note.data,
            key=form.submission_key.data,
            when=form.counted_on.when,
        ),
        lambda s: _done(
            s.document_id,
            # English says "copies" for one copy too; other languages have their plurals.
            ngettext(
                "Stocktake #%(id)s booked: %(difference)s copies against the ledger.",
                "Stocktake #%(id)s booked: %(difference)s copies against the ledger.",
                abs(s.difference),
                id=s.document_id,
                difference=f"{s.difference:+,}",
            ),
        ),
    )
    return response or (
        render_template(
            "movements/stocktake_form.html",
            form=form,
            place=place,
            blind=blind,
            expected=expected,
            editions=_editions(),
        ),
        form_status(form),
    )


def _count_rows(form: StocktakeForm, expected: dict) -> None:
    """A line for each edition and condition, those the ledger holds here first; an
    archived edition only where the ledger holds copies of it here."""
    held = [edition_id for (edition_id, _condition), qty in expected.items() if qty]
    for edition in catalogue.list_editions(db.session, choosable=True, keep=held):
        for condition in (Condition.UNSIGNED, Condition.SIGNED):
            if condition == Condition.SIGNED and not expected.get((edition.id, condition.value)):
                continue  # signed copies are counted where the ledger has some
            form.lines.append_entry({"edition_id": str(edition.id), "condition": condition.value})


@bp.get("/stocktakes/<int:document_id>")
@signed_in
def stocktake(document_id: int):
    record = get_stocktake(db.session, document_id)
    if record is None:
        abort(404)
    require_section(record.location.section_id)
    return render_template(
        "movements/stocktake.html",
        stocktake=record,
        moves=stock_queries.document_moves(db.session, record.document_id),
    )


# -- deliveries from the printer -------------------------------------------------------------


@bp.get("/print-runs")
@allow(*PUBLISHER_READERS)
def print_runs():
    # The publisher's own: no section to limit them to.
    return _listing(
        "movements/print_runs.html",
        "print-runs",
        [
            column("document"),
            column("delivered"),
            column("edition"),
            column("isbn"),
            column("copies"),
            column("reference"),
            column("by"),
            column("note"),
            column("recorded"),
        ],
        lambda session, section_scope: _print_run_rows(session),
        lambda session, section_scope, **page: distribution.print_runs(session, **page),
    )


@bp.route("/print-runs/new", methods=["GET", "POST"])
@allow(*STAFF)
def new_print_run():
    form = PrintRunForm()
    form.edition_id.choices = choices(
        [("", _("Choose an edition"))]
        + [(e.id, edition_choice(e)) for e in catalogue.list_editions(db.session, choosable=True)]
    )
    response = submit(
        form,
        lambda: service.record_print_run(
            db.session,
            actor(),
            edition_id=form.edition_id.data,
            qty=form.qty.data,
            when=form.received_on.when,
            reference=form.reference.data,
            note=form.note.data,
            key=form.submission_key.data,
        ),
        lambda d: _done(
            d.id,
            # English says "copies" for one copy too; other languages have their plurals.
            ngettext(
                "Delivery #%(id)s recorded: %(copies)s copies in the warehouse.",
                "Delivery #%(id)s recorded: %(copies)s copies in the warehouse.",
                form.qty.data,
                id=d.id,
                copies=f"{form.qty.data:,}",
            ),
        ),
    )
    return response or (
        render_template("movements/print_run_form.html", form=form),
        form_status(form),
    )
