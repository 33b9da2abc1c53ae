"""The sale screen at an event's table or a section's store, its undo, and voids.

The screen's script keeps each sale on the phone first (an outbox that survives reloads
and lost connections) and sends what waits to the place's sales endpoint
(``/places/<id>/sales``); the page gives it the figures as they stood when it was made
(``as_of``), to tell them from newer ones it kept. Without the script the form posts one
sale and the page comes back.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext

from tracker.db import db, utcnow
from tracker.domain.accounts import SECTION_RUNNERS
from tracker.domain.errors import DomainError
from tracker.domain.money import format_money
from tracker.domain.values import parse_id
from tracker.domain.words import clock
from tracker.models import Event, Location, Sale, Section
from tracker.queries import events as event_queries
from tracker.queries.stock import StockRow, expected_stock, priced_stock
from tracker.services import sales
from tracker.services.documents import AlreadySubmitted, new_key
from tracker.services.places import store_of
from tracker.web.access import allow, public
from tracker.web.events.forms import SaleForm, VoidForm
from tracker.web.events.views import bp, event_or_404
from tracker.web.forms import choices, payment_word, reader_locale
from tracker.web.helpers import actor, form_status, section_or_404, submit, wants_json

_ITEM = re.compile(r"^[0-9]{1,12}:(unsigned|signed)$")


@bp.route("/events/<int:event_id>/sell", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def sell(event_id: int):
    event = event_or_404(event_id)
    return _sale_screen(
        event.location, event.section, event, url_for("events.undo", event_id=event.id)
    )


@bp.post("/events/<int:event_id>/undo")
@allow(*SECTION_RUNNERS)
def undo(event_id: int):
    event = event_or_404(event_id)
    _undo(event.location_id)
    return redirect(url_for("events.sell", event_id=event.id))


@bp.route("/sections/<int:section_id>/sell", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def store_sell(section_id: int):
    section = section_or_404(section_id)
    return _sale_screen(
        store_of(section), section, None, url_for("events.store_undo", section_id=section.id)
    )


@bp.post("/sections/<int:section_id>/undo")
@allow(*SECTION_RUNNERS)
def store_undo(section_id: int):
    section = section_or_404(section_id)
    _undo(store_of(section).id)
    return redirect(url_for("events.store_sell", section_id=section.id))


# What the service worker keeps so that a sale screen opens without a connection (the
# pages themselves it keeps as they are loaded).
_OFFLINE_ASSETS = (
    "css/app.css",
    "vendor/pico/pico.red.min.css",
    "js/sale.js",
    "img/favicon.svg",
    "manifest.webmanifest",
)


@bp.get("/sw.js")
@public
def service_worker():
    """The sale screen's service worker, served from the root so that its scope covers
    every sale screen. It is told which assets to keep, under a version that is a digest
    of them: a release that changes one changes the worker, and phones fetch them again."""
    assert current_app.static_folder is not None
    static = Path(current_app.static_folder)
    script = (static / "js" / "sw.js").read_bytes()
    digest = hashlib.sha256(script)
    for asset in _OFFLINE_ASSETS:
        digest.update((static / asset).read_bytes())
    config = {
        "version": digest.hexdigest()[:16],
        "assets": [url_for("static", filename=asset) for asset in _OFFLINE_ASSETS],
        "start": url_for("events.index"),
        "logout": url_for("auth.logout"),
    }
    body = f"self.TRACKER = {json.dumps(config)};\n".encode() + script
    return current_app.response_class(body, mimetype="text/javascript")


def _sale_screen(place: Location, section: Section, event: Event | None, undo_url: str):
    form = SaleForm()
    if form.is_submitted() and wants_json():
        # The form checks only the item's shape: whether the copies are there is the
        # ledger's to say, with the copies it holds (no prices, labels or page needed).
        sent = request.form.get("item", "")
        form.item.choices = choices([(sent, "")] if _ITEM.match(sent) else [])
        status, message, category, sale = _record_sale(form, place)
        return _sale_json(form, place, section, status, message, category, sale)
    rows = _offered(form, place, section)
    status = 200
    if form.is_submitted():
        status, message, category, _sale = _record_sale(form, place)
        _show(form, status, message, category)
        if status == 200:
            form = SaleForm(formdata=None)  # a fresh form, with a new key, for the next sale
            form.submission_key.data = new_key()
            rows = _offered(form, place, section)
    if rows and not form.item.data:
        form.item.data = rows[0].value
    return render_template(
        "events/sell.html",
        form=form,
        rows=rows,
        place=place,
        section=section,
        event=event,
        tally=event_queries.tally(db.session, place.id),
        last=event_queries.last_sale(db.session, actor(), place.id),
        undo_url=undo_url,
        sales_url=f"{request.script_root}/places/{place.id}/sales",
        as_of=int(utcnow().timestamp() * 1000),
        words=script_words(),
    ), status


def _offered(form: SaleForm, place: Location, section: Section) -> list[StockRow]:
    """The tiles: what the place holds, each a choice of the form."""
    rows = priced_stock(db.session, place, section, choosable=True)
    form.item.choices = choices((r.value, r.edition.label) for r in rows)
    return rows


def _show(form: SaleForm, status: int, message: str, category: str) -> None:
    if not message:
        return
    if status == 200:
        flash(message, category)
    else:
        form.form_errors.append(message)


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
    last = sale or event_queries.last_sale(db.session, actor(), place.id)
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
        "last": sale_text(last) if last else None,
        "last_id": last.id if last else None,
    }


def _copies_sold(sale: Sale | sales.SoldSale) -> str:
    return ", ".join(
        _("%(qty)s × %(edition)s (signed)", qty=line.qty, edition=line.edition.label)  # noqa: RUF001
        if line.condition == "signed"
        else _("%(qty)s × %(edition)s", qty=line.qty, edition=line.edition.label)  # noqa: RUF001
        for line in sale.lines
    )


def sale_text(sale: Sale | sales.SoldSale) -> str:
    """A sale in a line: "2 × In Defence of Lenin (English paperback), £50.00, cash"."""  # noqa: RUF002
    return _(
        "%(copies)s, %(total)s, %(payment)s",
        copies=_copies_sold(sale),
        total=format_money(sale.total_minor, sale.currency, reader_locale()),
        payment=payment_word(sale.payment_method),
    )


def _record_sale(form: SaleForm, place: Location) -> tuple[int, str, str, Sale | None]:
    """Record the sale the screen was sent with: (status, message, its kind, the sale);
    200 when done (or done before)."""
    if not form.validate():
        return 422, "", "error", None
    edition_id, _colon, condition = form.item.data.partition(":")
    if parse_id(edition_id) is None:
        return (
            422,
            _("There is no edition %(id)s: choose a book on the screen.", id=edition_id),
            "error",
            None,
        )
    try:
        sale = sales.sell(
            db.session,
            actor(),
            location_id=place.id,
            items=[
                sales.SaleItem(
                    int(edition_id), form.qty.data or 1, condition, form.price.data or None
                )
            ],
            payment_method=form.payment.data,
            buyer_name=form.buyer.data,
            key=form.submission_key.data,
            when=form.sold_at.when,
        )
    except AlreadySubmitted:
        db.rollback()
        return (
            200,
            _("That sale was already recorded (the form was sent twice)."),
            "message",
            None,
        )
    except DomainError as error:
        db.rollback()
        return 422, error.message, "error", None
    values = {
        "copies": _copies_sold(sale),
        "total": format_money(sale.total_minor, sale.currency, reader_locale()),
        "payment": payment_word(sale.payment_method),
    }
    sold_at = sale.sold_at.astimezone(UTC) if sale.sold_at.tzinfo else sale.sold_at
    message = (
        _(
            "Sold %(copies)s for %(total)s, %(payment)s (sold %(when)s UTC).",
            when=clock(sold_at),
            **values,
        )
        if form.sold_at.when
        else _("Sold %(copies)s for %(total)s, %(payment)s.", **values)
    )
    return 200, message, "success", sale


def _undo(location_id: int) -> None:
    try:
        sale = sales.undo_sale(
            db.session, actor(), location_id, parse_id(request.form.get("sale_id", ""))
        )
    except sales.AlreadyUndone as error:
        db.rollback()
        flash(error.message, "message")
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        flash(
            ngettext(
                "Sale #%(id)s undone: %(total)s, %(copies)s copy back.",
                "Sale #%(id)s undone: %(total)s, %(copies)s copies back.",
                sale.copies,
                copies=f"{sale.copies:,}",
                id=sale.id,
                total=format_money(sale.total_minor, sale.currency, reader_locale()),
            ),
            "success",
        )


@bp.route("/sales/<int:sale_id>/void", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def void(sale_id: int):
    try:
        sale = sales.get_sale(db.session, actor(), sale_id)
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
        lambda: sales.void_sale(
            db.session, actor(), sale.id, form.reason.data, when=form.voided_at.when
        ),
        lambda voided: _voided(voided, back),
    )
    return response or (
        render_template("events/void.html", form=form, sale=sale, back=back),
        form_status(form),
    )


def _voided(sale: Sale, back: str):
    place = sales.void_returns_to(sale)
    flash(
        _("Sale #%(id)s voided: the copies are back in %(place)s.", id=sale.id, place=place.name),
        "success",
    )
    return redirect(back)


def script_words() -> dict[str, str]:
    """What the sale screen's script writes, in the reader's language: "{name}" in a text
    is a value the script fills in; "_one" and "_other" are the forms for a number."""
    words = {
        "none_left": _("None left."),
        "copies_whole": _("Copies: a whole number, 1 or more."),
        "type_price": _("Type the price of one copy."),
        "price_amount": _("Price: an amount such as 12.50."),
        "copies_of": _("Copies of {label}"),
        "copy_fewer": _("One copy fewer of {label}"),
        "copy_more": _("One copy more of {label}"),
        "price_each": _("Price each, {label} ({currency})"),
        "take_out": _("Take {label} out of this sale"),
        "none_left_of": _("None left of {label}."),
        "change": _("Change {amount}"),
        "short": _("{amount} short"),
        "online": _("Online"),
        "logged_out": _("Logged out"),
        "offline": _("Offline"),
        "sending_state": _("Sending"),
        "no_connection_state": _("No connection"),
        "not_sent_state": _("Not sent"),
        "opens_offline": _("This screen opens without a connection."),
        "made_at": _("{sale} · made {time}"),
        "why_login": _("Not sent: log in again (above) to send them."),
        "why_offline": _("The phone is offline: they go as soon as it is online."),
        "sending": _("Sending…"),
        "why_trouble": _("Not sent yet: {trouble}. Trying again shortly."),
        "tap_again": _("Tap again to cancel"),
        "cancel": _("Cancel"),
        "action_on": _("{action}: {sale}"),
        "elsewhere_link": _("open its sale screen to send them"),
        "dismiss": _("Dismiss"),
        "undo_offline": _("Undo needs a connection."),
        "not_recorded": _("Not recorded: {reason}"),
        "none_left_of_short": _("none left of {label}"),
        "tracker_refused": _("the tracker refused it"),
        "advice_short": _("Nothing to void. Tell the buyer, or sell another edition."),
        "advice_dated": _("Nothing to void. Record it again with another date (“Sold earlier?”)."),
        "advice_other": _(
            "Nothing to void. Settle it with the buyer; record it again if it should be."
        ),
        "recorded_one": _("Recorded: {sale}."),
        "change_after": _("Change {amount}."),
        "already_one": _("Already recorded: {sale} (it had been sent before)"),
        "parts_end": _("{parts}."),
        "phone_trouble": _("something went wrong on the phone"),
        "no_answer": _("the tracker did not answer in time"),
        "no_connection": _("no connection"),
        "unnamed": _("the tracker's answer did not name these sales"),
        "refused_request": _("the tracker refused this phone's request"),
        "unknown_place": _(
            "the tracker does not know this place as yours (logged in as someone else?)"
        ),
        "unreadable": _("the tracker could not read it"),
        "answered": _("the tracker answered {status}"),
        "tap_first": _("Tap a book first."),
        "handed_amount": _("Handed over: an amount such as 50 or 20.50."),
        "less_than": _("Less than the total ({total})."),
        "not_a_date": _("Sold at: {raw} is not a date and a time (such as 2024-03-01T14:30)."),
        "in_future": _(
            "Sold at: {date} is in the future. Give when it happened, or leave it empty for now."
        ),
        "line": _("{qty} × {label}"),  # noqa: RUF001
        "sale": _("{lines}, {total}, {payment}"),
        "sale_dated": _("{lines}, {total}, {payment}, sold {date}"),
        "saved_mark": _("✓ Saved"),
        "record_sale": _("Record sale"),
        "not_kept": _(
            "The sale was NOT kept: this phone's storage refused it. Write it down, and try again."
        ),
        "saved": _("Saved: {sale}."),
        "cancelled": _("Cancelled: {sale}. It was never sent."),
        "the_sale": _("the sale"),
        "give_login": _("Give your email and your password."),
        "not_logged_in": _("Not logged in: check the email and the password."),
        "still_logged_out": _(
            "Still not logged in: open the tracker in another tab to log in, then come back."
        ),
        "logged_in": _("Logged in again: sending the waiting sales."),
        "login_offline": _("No connection: try again when the phone is online."),
        "undo_needs": _("Undo needs a connection: try again when the phone is online."),
        "no_outbox": _(
            "This browser cannot keep sales on the phone: each sale is sent as it is recorded."
        ),
        "storage_unread": _(
            "This phone's storage cannot be read: sales are kept on the screen only."
        ),
        "utc_date": _("{day} {month} {year} {time} UTC"),
    }
    # The texts with a number: both forms (one; other), for the script to choose.
    for key, form in (
        (
            "left",
            lambda n: ngettext(
                "Only {n} left.",
                "Only {n} left.",
                n,
            ),
        ),
        (
            "in_sale",
            lambda n: ngettext(
                "{n} in this sale",
                "{n} in this sale",
                n,
            ),
        ),
        (
            "copy_word",
            lambda n: ngettext(
                "copy",
                "copies",
                n,
            ),
        ),
        (
            "elsewhere",
            lambda n: ngettext(
                "{n} sale of another table or store also waits on this phone: {link}.",
                "{n} sales of another table or store also wait on this phone: {link}.",
                n,
            ),
        ),
        (
            "only_left_of",
            lambda n: ngettext("only {n} left of {label}", "only {n} left of {label}", n),
        ),
        (
            "sales_recorded",
            lambda n: ngettext(
                "{n} sale recorded",
                "{n} sales recorded",
                n,
            ),
        ),
        (
            "already_many",
            lambda n: ngettext(
                "{n} was already recorded (sent before)",
                "{n} were already recorded (sent before)",
                n,
            ),
        ),
    ):
        words[f"{key}_one"] = form(1)
        words[f"{key}_other"] = form(2)
    months = (
        pgettext("month", "Jan"),
        pgettext("month", "Feb"),
        pgettext("month", "Mar"),
        pgettext("month", "Apr"),
        pgettext("month", "May"),
        pgettext("month", "Jun"),
        pgettext("month", "Jul"),
        pgettext("month", "Aug"),
        pgettext("month", "Sep"),
        pgettext("month", "Oct"),
        pgettext("month", "Nov"),
        pgettext("month", "Dec"),
    )
    words.update({f"month_{number}": month for number, month in enumerate(months, start=1)})
    return words
