"""Events, the sale screen, signings, and the reports of both."""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal

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
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError
from tracker.domain.events import PaymentMethod
from tracker.domain.money import format_money, from_minor, precision
from tracker.domain.stock import Condition
from tracker.domain.text import copies
from tracker.domain.values import parse_id
from tracker.models import Author, Edition, Event, Location, Sale, SaleLine, Section, Signing
from tracker.queries import events as event_queries
from tracker.queries.catalogue import list_editions
from tracker.queries.prices import prices_for
from tracker.queries.stock import expected_stock
from tracker.services import events as service
from tracker.services import places as places_service
from tracker.services import sales as sales_service
from tracker.services import signings as signings_service
from tracker.services.documents import AlreadySubmitted, new_key
from tracker.web.access import allow, require_section, section_scope, signed_in
from tracker.web.events.forms import EventForm, SaleForm, SigningForm, VoidForm
from tracker.web.exports import export, requested_format
from tracker.web.forms import choices
from tracker.web.helpers import form_status, submit
from tracker.web.inputs import query_id

bp = Blueprint("events", __name__)

RUNNERS = (Role.ADMIN, Role.TREASURER)


def _actor():
    return current_user._get_current_object()


def _event(event_id: int) -> Event:
    try:
        return service.get_event(db.session, _actor(), event_id)
    except DomainError:
        abort(404)


def _sections() -> list[Section]:
    query = select(Section).order_by(Section.name)
    if section_scope() is not None:
        query = query.where(Section.id == section_scope())
    return list(db.session.scalars(query))


def _details(form: EventForm) -> service.EventDetails:
    return service.EventDetails(
        name=form.name.data,
        kind=form.kind.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        city=form.city.data,
        venue=form.venue.data,
        expected_attendance=form.expected_attendance.data,
        actual_attendance=form.actual_attendance.data,
        notes=form.notes.data,
    )


@bp.get("/events")
@signed_in
def index():
    query = select(Event).join(Event.section).order_by(Event.starts_on.desc(), Event.id.desc())
    section_id = section_scope() or query_id("section")
    if section_id is not None:
        query = query.where(Event.section_id == section_id)
    today = date.today()
    rows = list(db.session.scalars(query))
    return render_template(
        "events/index.html",
        today=today,
        sections=_sections(),
        section_id=section_id,
        upcoming=sorted((e for e in rows if e.ends_on >= today), key=lambda e: e.starts_on),
        past=[e for e in rows if e.ends_on < today],
    )


@bp.route("/events/new", methods=["GET", "POST"])
@allow(*RUNNERS)
def new():
    form = EventForm()
    form.section_id.choices = choices(
        [("", "Choose a section")] + [(s.id, s.name) for s in _sections()]
    )
    if not form.is_submitted() and section_scope() is not None:
        form.section_id.data = section_scope()
    response = submit(
        form,
        lambda: service.create_event(
            db.session,
            _actor(),
            form.section_id.data,
            _details(form),
            key=form.submission_key.data,
        ),
        lambda event: _to_event(event, f"Event {event.name} created: bring copies to its table."),
    )
    return response or (
        render_template("events/form.html", form=form, event=None),
        form_status(form),
    )


def _to_event(event: Event, message: str):
    flash(message, "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@allow(*RUNNERS)
def edit(event_id: int):
    event = _event(event_id)
    form = EventForm(obj=event if request.method == "GET" else None)
    form.section_id.choices = choices([(event.section_id, event.section.name)])
    form.section_id.data = event.section_id
    response = submit(
        form,
        lambda: service.update_event(db.session, _actor(), event.id, _details(form)),
        lambda saved: _to_event(saved, "Event saved."),
    )
    return response or (
        render_template("events/form.html", form=form, event=event),
        form_status(form),
    )


@bp.get("/events/<int:event_id>")
@signed_in
def detail(event_id: int):
    event = _event(event_id)
    return render_template(
        "events/detail.html",
        event=event,
        report=event_queries.event_report(db.session, event),
        on_table=_stock_rows(event.location, event.section),
        sales=list(
            db.session.scalars(
                select(Sale)
                .where(Sale.event_id == event.id)
                .options(
                    selectinload(Sale.lines).joinedload(SaleLine.edition).joinedload(Edition.title)
                )
                .order_by(Sale.document_id.desc())
                .limit(20)
            )
        ),
        signings=list(
            db.session.scalars(
                select(Signing).where(Signing.event_id == event.id).order_by(Signing.document_id)
            )
        ),
        store=places_service.store_of(event.section),
    )


def _stock_rows(place: Location, section: Section) -> list[dict]:
    """What is at a place, by edition and condition, with the usual price there."""
    stock = expected_stock(db.session, place.id)
    editions = list_editions(db.session)
    prices = prices_for(db.session, section, editions)
    rows = []
    for edition in editions:
        price = prices[edition.id]
        for condition in (Condition.UNSIGNED, Condition.SIGNED):
            qty = stock.get((edition.id, condition.value), 0)
            if qty:
                rows.append(
                    {
                        "edition": edition,
                        "condition": condition.value,
                        "qty": qty,
                        "price_minor": price,
                        "value": f"{edition.id}:{condition.value}",
                    }
                )
    return rows


def _post_action(event_id: int, act, message: str):
    event = _event(event_id)
    try:
        act(db.session, _actor(), event.id)
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        flash(message.format(name=event.name), "success")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.post("/events/<int:event_id>/close")
@allow(*RUNNERS)
def close(event_id: int):
    return _post_action(
        event_id, service.close_event, "{name} is closed: the leftovers are back in the store."
    )


@bp.post("/events/<int:event_id>/reopen")
@allow(*RUNNERS)
def reopen(event_id: int):
    return _post_action(event_id, service.reopen_event, "{name} is open again.")


# -- the sale screen -----------------------------------------------------------------------------


def _sale_screen(place: Location, section: Section, event: Event | None, undo_url: str):
    """The sale screen. A sale sent by its script (``Accept: application/json``) is
    answered with what the screen must now show, in one round trip; without the script,
    the form is posted and the page comes back."""
    form = SaleForm()
    if form.is_submitted() and _wants_json():
        # The form checks only the item's shape: whether the copies are there is the
        # ledger's to say, with the copies it holds (no prices, labels or page needed).
        sent = request.form.get("item", "")
        form.item.choices = choices([(sent, "")] if _ITEM.match(sent) else [])
        status, message, category, sale = _record_sale(form, place, section)
        return _sale_json(form, place, section, status, message, category, sale)
    rows = _stock_rows(place, section)
    form.item.choices = choices((r["value"], r["edition"].label) for r in rows)
    status = 200
    if form.is_submitted():
        status, message, category, _sale = _record_sale(form, place, section)
        if message:
            if status == 200:
                flash(message, category)
            else:
                form.form_errors.append(message)
        if status == 200:
            form = SaleForm(formdata=None)  # a fresh form, with a new key, for the next sale
            form.submission_key.data = new_key()
            rows = _stock_rows(place, section)
            form.item.choices = choices((r["value"], r["edition"].label) for r in rows)
    if rows and not form.item.data:
        form.item.data = rows[0]["value"]
    return render_template(
        "events/sell.html",
        form=form,
        rows=rows,
        place=place,
        section=section,
        event=event,
        tally=event_queries.tally(db.session, place.id),
        last=event_queries.last_sale(db.session, _actor(), place.id),
        undo_url=undo_url,
    ), status


_ITEM = re.compile(r"^[0-9]{1,12}:(unsigned|signed)$")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _sale_json(
    form: SaleForm,
    place: Location,
    section: Section,
    status: int,
    message: str,
    category: str,
    sale: Sale | None,
):
    """The sale screen's answer to its script: the message, the new figures, the stock
    left on each tile, the last sale, and the key for the next sale."""
    if status != 200:
        errors = {name: list(errs) for name, errs in form.errors.items()}
        return {"ok": False, "message": message or "", "errors": errors}, status
    tally = event_queries.tally(db.session, place.id)
    currency = section.currency
    last = sale or event_queries.last_sale(db.session, _actor(), place.id)
    return {
        "ok": True,
        "message": message,
        "category": category,
        "next_key": new_key(),
        "stock": {
            f"{edition_id}:{condition}": qty
            for (edition_id, condition), qty in expected_stock(db.session, place.id).items()
        },
        "tally": {
            "copies": tally["copies"],
            "sales": tally["sales"],
            "total": format_money(tally["total"], currency),
            "takings": {m: format_money(v, currency) for m, v in tally["takings"].items()},
        },
        "last": _last_sale_text(last) if last else None,
        "last_id": last.id if last else None,
    }


def _copies_sold(sale: Sale) -> str:
    return ", ".join(
        f"{line.qty} × {line.edition.label}{' (signed)' if line.condition == 'signed' else ''}"  # noqa: RUF001
        for line in sale.lines
    )


def _last_sale_text(sale: Sale) -> str:
    return (
        f"{_copies_sold(sale)}, {format_money(sale.total_minor, sale.currency)}, "
        f"{sale.payment_label}"
    )


def _record_sale(
    form: SaleForm, place: Location, section: Section
) -> tuple[int, str, str, Sale | None]:
    """Record the sale the screen was sent with: (status, message, its kind, the sale);
    200 when done (or done before)."""
    if not form.validate():
        return 422, "", "error", None
    edition_id, _, condition = form.item.data.partition(":")
    if parse_id(edition_id) is None:
        return 422, f"There is no edition {edition_id}: choose a book on the screen.", "error", None
    try:
        sale = sales_service.sell(
            db.session,
            _actor(),
            location_id=place.id,
            items=[
                sales_service.SaleItem(
                    int(edition_id), form.qty.data or 1, condition, form.price.data or None
                )
            ],
            payment_method=form.payment.data,
            buyer_name=form.buyer.data,
            key=form.submission_key.data,
        )
    except AlreadySubmitted:
        db.rollback()
        return 200, "That sale was already recorded (the form was sent twice).", "message", None
    except (DomainError, ValueError) as error:
        db.rollback()
        return 422, getattr(error, "message", str(error)), "error", None
    return (
        200,
        f"Sold {_copies_sold(sale)} for {format_money(sale.total_minor, sale.currency)}, "
        f"{sale.payment_label}.",
        "success",
        sale,
    )


@bp.route("/events/<int:event_id>/sell", methods=["GET", "POST"])
@allow(*RUNNERS)
def sell(event_id: int):
    event = _event(event_id)
    return _sale_screen(
        event.location, event.section, event, url_for("events.undo", event_id=event.id)
    )


@bp.post("/events/<int:event_id>/undo")
@allow(*RUNNERS)
def undo(event_id: int):
    event = _event(event_id)
    _undo(event.location_id)
    return redirect(url_for("events.sell", event_id=event.id))


@bp.route("/sections/<int:section_id>/sell", methods=["GET", "POST"])
@allow(*RUNNERS)
def store_sell(section_id: int):
    section = _section(section_id)
    return _sale_screen(
        places_service.store_of(section),
        section,
        None,
        url_for("events.store_undo", section_id=section.id),
    )


@bp.post("/sections/<int:section_id>/undo")
@allow(*RUNNERS)
def store_undo(section_id: int):
    section = _section(section_id)
    _undo(places_service.store_of(section).id)
    return redirect(url_for("events.store_sell", section_id=section.id))


def _section(section_id: int) -> Section:
    # With its places: the store is the one the page sells from.
    section = db.session.get(Section, section_id, options=[joinedload(Section.locations)])
    if section is None:
        abort(404)
    require_section(section.id)
    return section


def _undo(location_id: int) -> None:
    try:
        sale = sales_service.undo_sale(
            db.session, _actor(), location_id, parse_id(request.form.get("sale_id", ""))
        )
    except sales_service.AlreadyUndone as error:
        db.rollback()
        flash(error.message, "message")
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        flash(
            f"Sale #{sale.id} undone: {format_money(sale.total_minor, sale.currency)}, "
            f"{copies(sale.copies)} back.",
            "success",
        )


@bp.route("/sales/<int:sale_id>/void", methods=["GET", "POST"])
@allow(*RUNNERS)
def void(sale_id: int):
    try:
        sale = sales_service.get_sale(db.session, _actor(), sale_id)
    except DomainError:
        abort(404)
    form = VoidForm()
    back = (
        url_for("events.detail", event_id=sale.event_id)
        if sale.event_id
        else url_for("events.store_sell", section_id=sale.section_id)
    )
    response = submit(
        form,
        lambda: sales_service.void_sale(db.session, _actor(), sale.id, form.reason.data),
        lambda voided: _voided(voided, back),
    )
    return response or (
        render_template("events/void.html", form=form, sale=sale, back=back),
        form_status(form),
    )


def _voided(sale: Sale, back: str):
    place = sales_service.void_returns_to(sale)
    flash(f"Sale #{sale.id} voided: the copies are back in {place.name}.", "success")
    return redirect(back)


# -- signings ----------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/signing", methods=["GET", "POST"])
@allow(*RUNNERS)
def signing(event_id: int):
    event = _event(event_id)
    form = SigningForm()
    stock = expected_stock(db.session, event.location_id)
    editions = [e for e in list_editions(db.session) if stock.get((e.id, Condition.UNSIGNED.value))]
    form.edition_id.choices = choices(
        [(e.id, f"{e.label} · {stock[(e.id, 'unsigned')]} unsigned on the table") for e in editions]
    )
    authors = list(db.session.scalars(select(Author).order_by(Author.name)))
    form.authors.choices = choices((a.id, a.name) for a in authors)
    response = submit(
        form,
        lambda: signings_service.sign(
            db.session,
            _actor(),
            event_id=event.id,
            edition_id=form.edition_id.data,
            qty=form.qty.data,
            author_ids=form.authors.data,
            dedications=(form.dedications.data or "").splitlines(),
            key=form.submission_key.data,
        ),
        lambda s: _to_event(event, f"{s.author_names} signed {s.qty} copies."),
    )
    return response or (
        render_template("events/signing.html", form=form, event=event),
        form_status(form),
    )


@bp.get("/signings")
@signed_in
def signings():
    return render_template(
        "events/signings.html", totals=event_queries.signings(db.session, section_scope())
    )


# -- the event report --------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/report")
@signed_in
def report(event_id: int):
    event = _event(event_id)
    if requested_format():
        return export(
            f"event-{event.id}",
            ["what", "detail", "value"],
            functools.partial(_report_rows, event_id=event.id),
            title=event.name,
        )
    limit = current_app.config["MOVES_PER_PAGE"]
    sales = event_queries.event_sales_page(
        db.session, event.id, before_id=query_id("before"), limit=limit + 1
    )
    return render_template(
        "events/report.html",
        event=event,
        report=event_queries.event_report(db.session, event),
        sales=sales[:limit],
        older={"before": sales[limit - 1].id} if len(sales) > limit else None,
        newest=request.args.get("before") is not None,
    )


_PAYMENT_LABELS = {m.value: m.label for m in PaymentMethod}


def _report_rows(session: Session, event_id: int):
    """The report as the export's rows: the figures, then every sale in the order they
    happened, read as they are written out."""
    event = session.get(Event, event_id, options=[joinedload(Event.section)])
    data = event_queries.event_report(session, event)
    currency = event.section.currency
    yield ["brought", "", data.brought]
    yield ["returned to the store", "", data.returned]
    yield ["sold unsigned", "", data.sold_unsigned]
    yield ["sold signed", "", data.sold_signed]
    yield ["signed", "", data.signed]
    yield ["attendance", "", data.attendance or ""]
    yield ["copies sold per attendee", "", data.per_attendee or ""]
    for method, amount in data.takings.items():
        yield ["takings", method, from_minor(amount, currency)]
    scales: dict[str, int] = {}
    for (
        number,
        sold_at,
        cur,
        method,
        buyer,
        voided_at,
        reason,
        sold,
        total,
    ) in event_queries.event_sales(session, event.id):
        scale = scales.get(cur)
        if scale is None:
            scale = scales[cur] = -precision(cur)
        detail = f"{sold} copies, {Decimal(total).scaleb(scale)} {cur}, {_PAYMENT_LABELS[method]}"
        if buyer:
            detail += f", bought by {buyer}"
        if voided_at:
            detail += f", voided: {reason}"
        # The time to the minute, in UTC (isoformat is much quicker than strftime).
        yield ["sale", f"#{number} {sold_at.isoformat(' ', 'minutes')[:16]}", detail]
