"""Events, the sale screen, signings, and the reports of both."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
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
from sqlalchemy.orm import Session, joinedload

from tracker.db import db
from tracker.domain.accounts import SECTION_RUNNERS
from tracker.domain.errors import DomainError
from tracker.domain.events import PaymentMethod
from tracker.domain.money import from_minor, precision
from tracker.domain.stock import Condition
from tracker.models import Event, Signing
from tracker.queries import events as event_queries
from tracker.queries.catalogue import list_editions
from tracker.queries.stock import expected_stock, priced_stock
from tracker.services import events as service
from tracker.services.places import store_of
from tracker.services.signings import sign
from tracker.web.access import allow, section_scope, signed_in
from tracker.web.events.forms import CloseEventForm, EventForm, SigningForm
from tracker.web.exports import Heading, column, export, requested_format, worded
from tracker.web.forms import choices, edition_choice, payment_word, reader_locale
from tracker.web.helpers import actor, form_status, keyset_page, scoped_sections, submit
from tracker.web.inputs import query_id

bp = Blueprint("events", __name__)


def event_or_404(event_id: int) -> Event:
    try:
        return service.get_event(db.session, actor(), event_id)
    except DomainError:
        abort(404)


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
    section_id = section_scope() or query_id("section")
    today = date.today()
    return render_template(
        "events/index.html",
        today=today,
        sections=scoped_sections(),
        section_id=section_id,
        events=event_queries.events_by_time(db.session, section_id, today),
    )


@bp.route("/events/new", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def new():
    form = EventForm()
    form.section_id.choices = choices(
        [("", _("Choose a section"))] + [(s.id, s.name) for s in scoped_sections(open_only=True)]
    )
    if not form.is_submitted() and section_scope() is not None:
        form.section_id.data = section_scope()
    response = submit(
        form,
        lambda: service.create_event(
            db.session,
            actor(),
            form.section_id.data,
            _details(form),
            key=form.submission_key.data,
        ),
        lambda event: _to_event(
            event, _("Event %(name)s created: bring copies to its table.", name=event.name)
        ),
    )
    return response or (
        render_template("events/form.html", form=form, event=None),
        form_status(form),
    )


def _to_event(event: Event, message: str):
    flash(message, "success")
    return redirect(url_for("events.detail", event_id=event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def edit(event_id: int):
    event = event_or_404(event_id)
    form = EventForm(obj=event if request.method == "GET" else None)
    form.section_id.choices = choices([(event.section_id, event.section.name)])
    form.section_id.data = event.section_id
    response = submit(
        form,
        lambda: service.update_event(db.session, actor(), event.id, _details(form)),
        lambda saved: _to_event(saved, _("Event saved.")),
    )
    return response or (
        render_template("events/form.html", form=form, event=event),
        form_status(form),
    )


@bp.get("/events/<int:event_id>")
@signed_in
def detail(event_id: int):
    event = event_or_404(event_id)
    return render_template(
        "events/detail.html",
        event=event,
        report=event_queries.event_report(db.session, event),
        on_table=priced_stock(db.session, event.location, event.section),
        sales=event_queries.recent_sales(db.session, event.id),
        signings=event_queries.event_signings(db.session, event.id),
        store=store_of(event.section),
    )


def _post_action(event_id: int, act, message: Callable[[str], str]):
    """Do ``act`` to the event; ``message`` says it was done, given the event's name."""
    event = event_or_404(event_id)
    try:
        act(db.session, actor(), event.id)
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        flash(message(event.name), "success")
    return redirect(url_for("events.detail", event_id=event_id))


@bp.route("/events/<int:event_id>/close", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def close(event_id: int):
    """Closing asks first: what goes back to the store, and when the table was packed
    up; only the form's own button closes the event."""
    form = CloseEventForm()
    if not form.validate_on_submit():
        # Asked, or sent with a moment it cannot have: the question, with the message.
        event = event_or_404(event_id)
        return render_template(
            "events/close.html",
            event=event,
            on_table=priced_stock(db.session, event.location, event.section),
            store=store_of(event.section),
            form=form,
        ), form_status(form)
    return _post_action(
        event_id,
        lambda session, who, event_id: service.close_event(
            session, who, event_id, when=form.closed_at.when, counted_cash=form.counted_cash.data
        ),
        lambda name: _("%(name)s is closed: the leftovers are back in the store.", name=name),
    )


@bp.post("/events/<int:event_id>/reopen")
@allow(*SECTION_RUNNERS)
def reopen(event_id: int):
    return _post_action(
        event_id, service.reopen_event, lambda name: _("%(name)s is open again.", name=name)
    )


# -- signings ----------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/signing", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def signing(event_id: int):
    event = event_or_404(event_id)
    form = SigningForm()
    stock = expected_stock(db.session, event.location_id)
    editions = [
        e
        for e in list_editions(db.session, choosable=True)
        if stock.get((e.id, Condition.UNSIGNED.value))
    ]
    form.edition_id.choices = choices(
        [
            (
                e.id,
                _(
                    "%(edition)s · %(n)s unsigned on the table",
                    edition=edition_choice(e, isbn=False),
                    n=stock[(e.id, "unsigned")],
                ),
            )
            for e in editions
        ]
    )
    form.authors.choices = choices((a.id, a.name) for a in event_queries.list_authors(db.session))

    def signed() -> Signing:
        qty = form.qty.data
        assert qty is not None  # the form's validate_qty asks for it
        return sign(
            db.session,
            actor(),
            event_id=event.id,
            edition_id=form.edition_id.data,
            qty=qty,
            author_ids=form.authors.data,
            dedications=(form.dedications.data or "").splitlines(),
            key=form.submission_key.data,
            when=form.signed_at.when,
        )

    response = submit(
        form,
        signed,
        lambda s: _to_event(
            event,
            # The English says "copies" whatever the number; other languages say it right.
            ngettext(
                "%(authors)s signed %(num)s copies.",
                "%(authors)s signed %(num)s copies.",
                s.qty,
                authors=s.author_names,
            ),
        ),
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
    event = event_or_404(event_id)
    if requested_format():
        return export(
            f"event-{event.id}",
            [column("what"), column("detail"), column("value")],
            functools.partial(_report_rows, event_id=event.id),
            title=event.name,
        )
    limit = current_app.config["MOVES_PER_PAGE"]
    page = keyset_page(
        event_queries.event_sales_page(
            db.session, event.id, before_id=query_id("before"), limit=limit + 1
        ),
        limit,
        lambda sale: sale.id,
    )
    return render_template(
        "events/report.html",
        event=event,
        report=event_queries.event_report(db.session, event),
        sales=page.rows,
        older=page.older,
        newest=request.args.get("before") is not None,
    )


# How a sale was paid, in the CSV's words (the same for every reader).
_PAYMENT_KEYS = {m.value: m.value.replace("_", " ") for m in PaymentMethod}


def _payment(method: str) -> Heading:
    """How a sale was paid: its key in CSV (``bank_transfer``), its word in XLSX."""
    return worded(method, lambda: payment_word(method))


def _sale_detail(
    copies: int,
    total: Decimal,
    currency: str,
    method: str,
    buyer: str | None,
    reason: str | None,
    voided: bool,
) -> Heading:
    """A sale of the export: in CSV as it always was ("2 copies, 50.00 GBP, cash, bought
    by ..., voided: ..."), in XLSX one sentence of the reader's language."""
    key = f"{copies} copies, {total} {currency}, {_PAYMENT_KEYS[method]}"
    if buyer:
        key += f", bought by {buyer}"
    if voided:
        key += f", voided: {reason}"

    def speak() -> str:
        locale = reader_locale()
        values = {
            "n": format_decimal(copies, locale=locale),
            "total": format_currency(total, currency, locale=locale),
            "payment": payment_word(method),
            "buyer": buyer,
            "reason": reason or "",
        }
        if buyer and voided:
            return ngettext(
                "%(n)s copy, %(total)s, %(payment)s, bought by %(buyer)s, voided: %(reason)s",
                "%(n)s copies, %(total)s, %(payment)s, bought by %(buyer)s, voided: %(reason)s",
                copies,
                **values,
            )
        if buyer:
            return ngettext(
                "%(n)s copy, %(total)s, %(payment)s, bought by %(buyer)s",
                "%(n)s copies, %(total)s, %(payment)s, bought by %(buyer)s",
                copies,
                **values,
            )
        if voided:
            return ngettext(
                "%(n)s copy, %(total)s, %(payment)s, voided: %(reason)s",
                "%(n)s copies, %(total)s, %(payment)s, voided: %(reason)s",
                copies,
                **values,
            )
        return ngettext(
            "%(n)s copy, %(total)s, %(payment)s",
            "%(n)s copies, %(total)s, %(payment)s",
            copies,
            **values,
        )

    return worded(key, speak)


def _report_rows(session: Session, event_id: int):
    """The report as the export's rows: the figures, then every sale in the order they
    happened, read as they are written out. The words of the first column (and of the
    sales) are the same keys for everyone in CSV, the reader's words in XLSX."""
    event = session.get_one(Event, event_id, options=[joinedload(Event.section)])
    data = event_queries.event_report(session, event)
    currency = event.section.currency
    yield [column("brought"), "", data.brought]
    yield [column("returned to the store"), "", data.returned]
    yield [column("sold unsigned"), "", data.sold_unsigned]
    yield [column("sold signed"), "", data.sold_signed]
    yield [column("signed"), "", data.signed]
    yield [column("attendance"), "", data.attendance or ""]
    yield [column("copies sold per attendee"), "", data.per_attendee or ""]
    for method, amount in data.takings.items():
        yield [column("takings"), _payment(method), from_minor(amount, currency)]
    if data.counted_cash is not None and data.cash_difference is not None:
        yield [column("cash counted"), "", from_minor(data.counted_cash, currency)]
        yield [column("cash over or short"), "", from_minor(data.cash_difference, currency)]
    sale = column("sale")
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
        detail = _sale_detail(
            sold, Decimal(total).scaleb(scale), cur, method, buyer, reason, voided_at is not None
        )
        # The time to the minute, in UTC (isoformat is much quicker than strftime).
        yield [sale, f"#{number} {sold_at.isoformat(' ', 'minutes')[:16]}", detail]
