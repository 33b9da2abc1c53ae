"""Shipments: the list, drafting, dispatch, the packing slip, receipts, returns."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.db import db
from tracker.domain.accounts import STAFF, Role
from tracker.domain.distribution import CAN, ShipmentStatus, check_state, may_manage, may_receive
from tracker.domain.errors import DomainError
from tracker.domain.money import format_money, from_minor, plain
from tracker.queries.catalogue import list_editions
from tracker.queries.distribution import shipment_moves, shipments
from tracker.queries.places import list_countries
from tracker.queries.stock import warehouse_stock
from tracker.services import receipts
from tracker.services import shipments as service
from tracker.web.access import allow, section_scope, signed_in
from tracker.web.exports import column, export, requested_format
from tracker.web.forms import choices
from tracker.web.helpers import actor, form_status, keyset_page, other_args, scoped_sections, submit
from tracker.web.inputs import query_id
from tracker.web.shipments.forms import (
    DispatchForm,
    ReceiptForm,
    ShipmentFilterForm,
    ShipmentForm,
)

bp = Blueprint("shipments", __name__, url_prefix="/shipments")

SENDERS = (*STAFF, Role.TREASURER)


@bp.get("/")
@signed_in
def index():
    form = ShipmentFilterForm(request.args)
    form.section.choices = choices(
        [("", _("Any section"))] + [(s.id, s.name) for s in scoped_sections()]
    )
    countries = list_countries(db.session)
    form.country.choices = choices([("", _("Any country"))] + [(c.code, c.name) for c in countries])
    filters = {}
    if form.validate():
        filters = {
            "status": form.status.data or None,
            "direction": form.direction.data or None,
            "section_id": form.section.data,
            "country": form.country.data or None,
            "since": form.since.data,
            "until": form.until.data,
        }
    today = date.today()
    if requested_format():
        rows = shipments(db.session, section_scope=section_scope(), **filters)
        return export("shipments", CSV_HEADER, (_csv_row(s, today) for s in rows))
    limit = current_app.config["MOVES_PER_PAGE"]
    args = other_args("before")
    page = keyset_page(
        shipments(
            db.session,
            section_scope=section_scope(),
            **filters,
            before_id=query_id("before"),
            limit=limit + 1,
        ),
        limit,
        lambda shipment: shipment.id,
        **args,
    )
    return render_template(
        "shipments/index.html",
        form=form,
        shipments=page.rows,
        today=today,
        older_args=page.older,
        export_args=args,
    )


CSV_HEADER = [
    column("shipment"),
    column("direction"),
    column("status"),
    column("section"),
    column("country"),
    column("from"),
    column("to"),
    column("terms"),
    column("copies"),
    column("value"),
    column("currency"),
    column("carrier"),
    column("tracking number"),
    column("created"),
    column("dispatched"),
    column("expected"),
    column("received"),
    column("days in transit"),
    column("overdue"),
    column("received copies"),
    column("damaged"),
    column("missing"),
    column("still in transit"),
]


def _csv_row(s, today: date) -> list:
    return [
        s.id,
        s.direction,
        s.status,
        s.section.name,
        s.section.country_code,
        s.from_location.name,
        s.to_location.name,
        s.terms_label,
        s.copies,
        from_minor(s.total_minor, s.currency),
        s.currency,
        s.carrier,
        s.tracking_number,
        s.document.created_at,
        s.dispatched_at,
        s.expected_on,
        s.received_at,
        s.days_in_transit(today),
        "yes" if s.is_overdue(today) else "",
        sum(line.received_qty for line in s.lines),
        sum(line.damaged_qty for line in s.lines),
        sum(line.missing_qty for line in s.lines),
        s.copies_in_transit,
    ]


def _lines(form: ShipmentForm) -> list[service.LineInput]:
    return [
        service.LineInput(entry.edition_id.data, entry.qty.data, entry.unit_price.data)
        for entry in form.lines
        if entry.qty.data
    ]


def _fill_lines(form: ShipmentForm, shipment=None) -> None:
    """One line per edition: on a new form, or for a draft being edited."""
    if form.is_submitted():
        return
    existing = {line.edition_id: line for line in shipment.lines} if shipment else {}
    while form.lines.entries:
        form.lines.pop_entry()
    for edition in list_editions(db.session, choosable=True, keep=existing):
        line = existing.get(edition.id)
        form.lines.append_entry(
            {
                "edition_id": str(edition.id),
                "qty": line.qty if line else None,
                "unit_price": plain(line.unit_price_minor, shipment.currency) if line else None,
            }
        )


def _form_page(form: ShipmentForm, *, direction: str, shipment=None):
    editions = {str(e.id): e for e in list_editions(db.session)}
    available = None
    if direction == "outbound":
        available = {str(e): qty for e, qty in warehouse_stock(db.session).items()}
    return render_template(
        "shipments/form.html",
        form=form,
        direction=direction,
        shipment=shipment,
        editions=editions,
        sections=scoped_sections(),
        available=available,
    ), form_status(form)


@bp.route("/new", methods=["GET", "POST"])
@allow(*STAFF)
def new():
    return _new("outbound")


@bp.route("/new-return", methods=["GET", "POST"])
@allow(*SENDERS)
def new_return():
    return _new("return")


def _new(direction: str):
    form = ShipmentForm()
    form.prices_required = direction != "return"
    form.section_id.choices = choices(
        [("", _("Choose a section"))]
        + [(s.id, s.name) for s in scoped_sections(open_only=direction == "outbound")]
    )
    if direction == "return" and section_scope() is not None and not form.is_submitted():
        form.section_id.data = section_scope()
    _fill_lines(form)
    response = submit(
        form,
        lambda: service.create(
            db.session,
            actor(),
            direction=direction,
            section_id=form.section_id.data,
            lines=_lines(form),
            terms=form.terms.data,
            carrier=form.carrier.data,
            tracking_number=form.tracking_number.data,
            expected_on=form.expected_on.data,
            note=form.note.data,
            key=form.submission_key.data,
        ),
        lambda shipment: _saved(
            shipment,
            _("Draft shipment #%(id)s saved: check it, then dispatch it.", id=shipment.id),
        ),
    )
    return response or _form_page(form, direction=direction)


def _saved(shipment, message: str):
    flash(message, "success")
    return redirect(url_for("shipments.detail", shipment_id=shipment.id))


@bp.get("/<int:shipment_id>")
@signed_in
def detail(shipment_id: int):
    return _detail_page(service.get(db.session, actor(), shipment_id), DispatchForm())


def _detail_page(shipment, dispatch_form: DispatchForm, status: int = 200):
    return render_template(
        "shipments/detail.html",
        shipment=shipment,
        today=date.today(),
        moves=shipment_moves(db.session, shipment),
        can_manage=may_manage(actor(), shipment.direction),
        can_receive=may_receive(actor(), shipment.direction),
        dispatch_form=dispatch_form,
    ), status


def _refuse(shipment, wanted: Collection[ShipmentStatus], action: str):
    """Back to the shipment with the reason, when it is in no state for ``action``."""
    try:
        check_state(shipment.id, shipment.status, wanted, action)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("shipments.detail", shipment_id=shipment.id))
    return None


@bp.route("/<int:shipment_id>/edit", methods=["GET", "POST"])
@allow(*SENDERS)
def edit(shipment_id: int):
    shipment = service.get(db.session, actor(), shipment_id)
    if not may_manage(actor(), shipment.direction):
        flash(_("Only distribution staff change this shipment."), "error")
        return redirect(url_for("shipments.detail", shipment_id=shipment.id))
    refused = _refuse(shipment, CAN["edited"], "edited")
    if refused:
        return refused
    form = ShipmentForm(obj=shipment if request.method == "GET" else None)
    form.prices_required = not shipment.is_return

    form.section_id.choices = choices([(shipment.section_id, shipment.section.name)])
    form.section_id.data = shipment.section_id
    if request.method == "GET":
        form.note.data = shipment.document.note
    _fill_lines(form, shipment)
    response = submit(
        form,
        lambda: service.update_draft(
            db.session,
            actor(),
            shipment.id,
            lines=_lines(form),
            terms=form.terms.data,
            carrier=form.carrier.data,
            tracking_number=form.tracking_number.data,
            expected_on=form.expected_on.data,
            note=form.note.data,
        ),
        lambda saved: _saved(saved, _("Draft shipment #%(id)s saved.", id=saved.id)),
    )
    return response or _form_page(form, direction=shipment.direction, shipment=shipment)


def _action(shipment_id: int, act, message: Callable[..., str]):
    """Do ``act`` to the shipment; ``message(shipment)`` says it is done."""
    try:
        shipment = act(db.session, actor(), shipment_id)
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        flash(message(shipment), "success")
    return redirect(url_for("shipments.detail", shipment_id=shipment_id))


@bp.post("/<int:shipment_id>/dispatch")
@allow(*SENDERS)
def dispatch(shipment_id: int):
    form = DispatchForm()
    if not form.validate_on_submit():
        # The day it left is not one: the shipment again, with the form's message.
        return _detail_page(service.get(db.session, actor(), shipment_id), form, 422)
    return _action(
        shipment_id,
        lambda session, who, shipment_id: service.dispatch(
            session, who, shipment_id, when=form.dispatched_on.when
        ),
        # English says "copies" for one copy too; other languages have their plurals.
        lambda shipment: ngettext(
            "Shipment #%(id)s dispatched: %(copies)s copies are in transit.",
            "Shipment #%(id)s dispatched: %(copies)s copies are in transit.",
            shipment.copies,
            id=shipment.id,
            copies=f"{shipment.copies:,}",
        ),
    )


@bp.post("/<int:shipment_id>/cancel")
@allow(*SENDERS)
def cancel(shipment_id: int):
    return _action(
        shipment_id,
        service.cancel,
        lambda shipment: _("Shipment #%(id)s cancelled.", id=shipment.id),
    )


@bp.get("/<int:shipment_id>/packing-slip")
@signed_in
def packing_slip(shipment_id: int):
    shipment = service.get(db.session, actor(), shipment_id)
    return render_template(
        "shipments/packing_slip.html",
        shipment=shipment,
        total=format_money(shipment.total_minor, shipment.currency),
    )


@bp.route("/<int:shipment_id>/receive", methods=["GET", "POST"])
@allow(*SENDERS)
def receive(shipment_id: int):
    shipment = service.get(db.session, actor(), shipment_id)
    refused = _refuse(
        shipment, {ShipmentStatus.DISPATCHED, ShipmentStatus.PARTLY_RECEIVED}, "received"
    )
    if refused:
        return refused

    form = ReceiptForm()
    if not form.is_submitted():
        for line in shipment.lines:
            form.lines.append_entry(
                {"line_id": str(line.id), "received": line.outstanding, "damaged": 0, "missing": 0}
            )
    response = submit(
        form,
        lambda: receipts.receive(
            db.session,
            actor(),
            shipment.id,
            [
                receipts.ReceiptInput(
                    e.line_id.data,
                    e.received.data or 0,
                    e.damaged.data or 0,
                    e.missing.data or 0,
                    e.reason.data or None,
                    e.note.data,
                )
                for e in form.lines
            ],
            key=form.submission_key.data,
            note=form.note.data,
            when=form.received_on.when,
        ),
        lambda receipt: _saved(
            receipt.shipment,
            _("Receipt recorded for shipment #%(id)s.", id=receipt.shipment.id),
        ),
    )
    if response:
        return response
    lines = {str(line.id): line for line in shipment.lines}
    return render_template(
        "shipments/receive.html", form=form, shipment=shipment, lines=lines
    ), form_status(form)
