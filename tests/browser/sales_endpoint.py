"""The sales endpoint the sale screen's outbox sends to, ``POST /places/<id>/sales``, as
its contract says, for the browser tests of an app that does not have it yet.

``install`` puts it on a test's app only when the app has no such route: once the app
has its own, that one serves the tests, which keep to the same contract.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import Flask, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tracker.db import db, utcnow
from tracker.domain.accounts import SECTION_RUNNERS
from tracker.domain.errors import DomainError, InsufficientStock
from tracker.domain.money import format_money, from_minor, to_minor
from tracker.models import Location, Sale
from tracker.queries import events as event_queries
from tracker.queries.stock import expected_stock
from tracker.services import sales
from tracker.services.documents import AlreadySubmitted
from tracker.web.access import public
from tracker.web.helpers import actor
from tracker.web.security import csrf

MOST = 200
PATH = "/places/<int:location_id>/sales"


def has_endpoint(app: Flask) -> bool:
    try:
        app.url_map.bind("localhost").match("/places/1/sales", method="POST")
    except (NotFound, MethodNotAllowed):
        return False
    return True


def install(app: Flask) -> None:
    if has_endpoint(app):
        return
    app.add_url_rule(PATH, "test_place_sales", place_sales, methods=["POST"])
    csrf.exempt(place_sales)  # checked below, to answer 403 as the contract says


def _problem(status: int, title: str, detail: str):
    return jsonify(title=title, detail=detail, status=status), status


@public  # answers 401 itself, as JSON
def place_sales(location_id: int):
    if not current_user.is_authenticated:
        return _problem(401, "Not logged in", "Your session has ended: log in again.")
    try:
        csrf.protect()
    except CSRFError as error:
        return _problem(403, "Stale page", error.description)
    if current_user.role not in SECTION_RUNNERS:
        return _problem(403, "Forbidden", "You may not sell.")
    place = db.session.get(Location, location_id)
    try:
        sales.selling_place(db.session, actor(), location_id, closed_ok=True)
    except NotFound:
        return _problem(404, "Not found", f"There is no place {location_id} of yours.")
    except DomainError as error:
        return _problem(404, "Not found", error.message)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("sales"), list):
        return _problem(400, "Bad request", "Send {'sales': [...]}.")
    if len(body["sales"]) > MOST:
        return _problem(413, "Too many", f"At most {MOST} sales a request.")
    try:
        results = [_one(location_id, sale) for sale in body["sales"]]
    except (KeyError, TypeError, ValueError) as error:
        db.rollback()
        return _problem(400, "Bad request", f"A sale cannot be read: {error}")
    assert place is not None and place.section is not None
    currency = place.section.currency
    tally = event_queries.tally(db.session, location_id)
    last = event_queries.last_sale(db.session, actor(), location_id)
    return {
        "results": results,
        "stock": {
            f"{edition}:{condition}": qty
            for (edition, condition), qty in expected_stock(db.session, location_id).items()
        },
        "tally": {
            "copies": tally["copies"],
            "sales": tally["sales"],
            "total": str(from_minor(tally["total"], currency)),
            "total_text": format_money(tally["total"], currency),
        },
        "last": {"id": last.id, "text": _text(last)} if last else None,
    }


def _one(location_id: int, sent: dict) -> dict:
    key = sent["key"]
    made_at = datetime.fromisoformat(sent["made_at"])
    # A phone's clock a little ahead of the server's: now.
    if made_at > utcnow() and made_at - utcnow() < timedelta(minutes=5):
        made_at = utcnow()
    items = [
        sales.SaleItem(int(line["edition"]), int(line["qty"]), line["condition"], line.get("price"))
        for line in sent["lines"]
    ]
    try:
        sale = sales.sell(
            db.session,
            actor(),
            location_id=location_id,
            items=items,
            payment_method=sent["payment"],
            buyer_name=sent.get("buyer"),
            key=uuid.UUID(key).hex,
            when=made_at,
        )
        status = "recorded"
    except AlreadySubmitted as error:
        sale = db.session.get(Sale, error.document_id)
        status = "already_recorded"
    except DomainError as error:
        return {
            "key": key,
            "status": "refused",
            "error": {
                "type": "insufficient-stock" if isinstance(error, InsufficientStock) else "refused",
                "title": "Not recorded",
                "detail": error.message,
                "field": None,
            },
        }
    assert sale is not None
    tendered = sent.get("tendered")
    change = None
    if tendered:
        change = str(
            from_minor(to_minor(tendered, sale.currency) - sale.total_minor, sale.currency)
        )
    return {
        "key": key,
        "status": status,
        "sale": {
            "id": sale.id,
            "sold_at": sale.sold_at.isoformat(),
            "total": str(from_minor(sale.total_minor, sale.currency)),
            "currency": sale.currency,
            "copies": sale.copies,
            "change": change,
            "text": _text(sale),
        },
    }


def _text(sale: Sale) -> str:
    copies = ", ".join(
        f"{line.qty} × {line.edition.label}{' (signed)' if line.condition == 'signed' else ''}"
        for line in sale.lines
    )
    return f"{copies}, {format_money(sale.total_minor, sale.currency)}, {sale.payment_label}"
