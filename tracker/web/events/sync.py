"""Sales sent by a program: the sale screen's outbox (a phone records sales offline,
each with a key it made, and sends them when it can), and later the public API.

``POST /places/<id>/sales`` takes a batch of keyed sales for one store or event table
and answers each: recorded, already recorded (the same key and content sent again), or
refused with a problem naming the value it is about. The rules are the sale's own
(``services.sales.sell_sent``); this reads the JSON into their shapes and writes the
answer. Errors of the whole request are problem details (``tracker.web.problems``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request

from tracker.db import db, utcnow
from tracker.domain.accounts import SECTION_RUNNERS
from tracker.domain.errors import (
    DomainError,
    InsufficientStock,
    NotThereThen,
    PeriodClosed,
    about,
)
from tracker.domain.events import CLOCK_SKEW, undo_until
from tracker.domain.money import format_money, plain
from tracker.domain.values import id_problem, parse_id
from tracker.models import Location, Sale
from tracker.queries import events as event_queries
from tracker.queries.stock import expected_stock
from tracker.services import sales
from tracker.services.documents import KeyReused
from tracker.web.access import allow
from tracker.web.events.sale_screen import sale_text
from tracker.web.events.views import bp
from tracker.web.forms import MAX_LINES
from tracker.web.helpers import actor
from tracker.web.problems import api, problem

# Sales one request takes at most: a phone's outbox after a day offline fits many times.
MAX_BATCH = 200

# What a refused sale's error says it is, by the rule that refused it: (type, title).
_REFUSALS: list[tuple[type[DomainError], str, str]] = [
    (NotThereThen, "not-there", "The copies were not there then"),
    (InsufficientStock, "insufficient-stock", "Not enough copies"),
    (sales.EventClosed, "closed", "Closed"),
    (PeriodClosed, "closed", "Closed"),
    (KeyReused, "key-reused", "Key already used"),
]
_INVALID = ("invalid", "Not a sale the tracker takes")


class Refused(Exception):
    """The whole request is refused: nothing was recorded."""

    def __init__(self, status: int, title: str, detail: str, **extra: object):
        super().__init__(detail)
        self.response = problem(status, title, detail, extra=extra)


@bp.post("/places/<int:location_id>/sales")
@allow(*SECTION_RUNNERS)
@api
def record_sales(location_id: int) -> Response | dict:
    try:
        sent = sales_sent()
    except Refused as refused:
        return refused.response
    return answer_sales(location_id, sent)


def answer_sales(location_id: int, sent: list[dict[str, Any]]) -> dict[str, Any]:
    """Record the keyed ``sent`` sales at the place and say what became of each, and
    what the place holds now: the answer of the sale screen's outbox and of the API."""
    read = [_read_sale(sale) for sale in sent]
    place, results = sales.sell_sent(
        db.session, actor(), location_id, [r for r in read if isinstance(r, sales.SentSale)]
    )
    # Kept before the place is read back for the answer: a sale at the same table on
    # another phone waits for the rows these sales hold only until they are written.
    db.session.commit()
    answered = iter(results)
    made = {r.sale.id: r.sale for r in results if r.recorded and r.sale is not None}
    return {
        "results": [
            _result(index, sale, r if isinstance(r, DomainError) else next(answered))
            for index, (sale, r) in enumerate(zip(sent, read, strict=True))
        ],
        **_place_now(place, made),
    }


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def sales_sent() -> list[dict[str, Any]]:
    """The list of sales in the request's body (``{"sales": [...]}``), each an object."""
    if not request.is_json:
        raise Refused(400, "Not JSON", "Send the sales as JSON (Content-Type: application/json).")
    try:
        # Numbers as they were written (12.50 stays 12.50); NaN and Infinity are no JSON.
        body = json.loads(
            request.get_data(cache=False), parse_float=Decimal, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError):
        raise Refused(400, "Not JSON", "What was sent is not JSON: nothing was recorded.") from None
    if not isinstance(body, dict) or not isinstance(body.get("sales"), list):
        raise Refused(
            400, "No sales", 'Send {"sales": [...]}, a list of sales: nothing was recorded.'
        )
    sent = body["sales"]
    if len(sent) > MAX_BATCH:
        raise Refused(
            413,
            "Too many sales",
            f"{len(sent):,} sales were sent at once: send at most {MAX_BATCH} at a time. "
            "Nothing was recorded.",
            max_batch=MAX_BATCH,
        )
    for index, sale in enumerate(sent):
        if not isinstance(sale, dict):
            raise Refused(
                400,
                "Not a sale",
                f"sales[{index}] is not an object: nothing was recorded.",
                field=f"sales[{index}]",
            )
    return sent


def _read_sale(sent: dict[str, Any]) -> sales.SentSale | DomainError:
    """A sale as the service takes it, or why it cannot be one (naming the value)."""
    try:
        return sales.SentSale(
            key=sent.get("key"),
            content=sent,
            items=_lines(sent.get("lines")),
            payment_method=_text(sent, "payment") or "",
            made_at=_moment(sent.get("made_at")),
            tendered=sent.get("tendered"),
            buyer_name=_text(sent, "buyer"),
        )
    except DomainError as error:
        return error


def _text(sent: dict[str, Any], name: str) -> str | None:
    value = sent.get(name)
    if value is not None and not isinstance(value, str):
        with about(name):
            raise DomainError(f"{name} is text, not {json.dumps(value, default=str)[:30]}.")
    return value


def _moment(value: object) -> datetime | None:
    """When the sale was made: ISO 8601 with its offset (None: now)."""
    if value is None:
        return None
    with about("made_at"):
        shown = repr(value) if len(repr(value)) <= 45 else repr(value)[:45] + "..."
        example = "such as 2026-12-01T10:15:30Z"
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            raise DomainError(f"{shown} is not a moment: write it in ISO 8601, {example}.")
        if moment.tzinfo is None:
            raise DomainError(f"{shown} says no offset from UTC: add it, {example}.")
        moment = moment.astimezone(UTC)
        # A phone's clock a little ahead: made now (further ahead is refused as future).
        now = utcnow()
        return None if now < moment <= now + CLOCK_SKEW else moment


def _lines(lines: object) -> list[sales.SaleItem]:
    with about("lines"):
        if not isinstance(lines, list) or not lines:
            raise DomainError("Say what was sold: a list of lines (edition, condition, qty).")
        if len(lines) > MAX_LINES:
            raise DomainError(f"A sale has at most {MAX_LINES} lines, not {len(lines):,}.")
    return [_line(index, line) for index, line in enumerate(lines)]


def _line(index: int, line: object) -> sales.SaleItem:
    with about(f"lines[{index}]"):
        if not isinstance(line, dict):
            raise DomainError("A line is an object: edition, condition, qty and price.")
        edition = line.get("edition")
        edition_id = parse_id(edition)
        if edition_id is None:
            with about("edition"):
                raise DomainError(
                    "Say which edition was sold (its id)."
                    if edition is None
                    else id_problem("edition", str(edition))
                )
        # The copies, the condition and the price are the sale's rules to check.
        return sales.SaleItem(
            edition_id, line.get("qty", 1), line.get("condition", "unsigned"), line.get("price")
        )


def _result(index: int, sent: dict[str, Any], outcome: sales.SentResult | DomainError) -> dict:
    key = sent.get("key")
    answer: dict[str, Any] = {"key": key if isinstance(key, str) else None}
    if isinstance(outcome, DomainError):
        return {**answer, "status": "refused", "error": _error(index, outcome)}
    if outcome.error is not None:
        return {**answer, "status": "refused", "error": _error(index, outcome.error)}
    assert outcome.sale is not None
    status = "recorded" if outcome.recorded else "already_recorded"
    return {**answer, "status": status, "sale": _sale(outcome.sale)}


def _error(index: int, error: DomainError) -> dict[str, Any]:
    problem_type, title = next(
        ((kind, title) for cls, kind, title in _REFUSALS if isinstance(error, cls)), _INVALID
    )
    field = f"sales[{index}]" + (f".{error.field}" if error.field else "")
    return {
        "type": problem_type,
        "title": title,
        "status": error.status_code,
        "detail": error.message,
        "field": field,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sale(sale: Sale | sales.SoldSale) -> dict[str, Any]:
    currency = sale.currency
    change = sale.change_minor
    return {
        "id": sale.id,
        "sold_at": _iso(sale.sold_at),
        "total": plain(sale.total_minor, currency),
        "currency": currency,
        "copies": sale.copies,
        "payment": sale.payment_method,
        "tendered": None if sale.tendered_minor is None else plain(sale.tendered_minor, currency),
        "change": None if change is None else plain(change, currency),
        "voided": sale.voided_at is not None,
        "text": sale_text(sale),
    }


def _recorded_at(sale: Sale | sales.SoldSale) -> datetime:
    return sale.created_at if isinstance(sale, sales.SoldSale) else sale.document.created_at


def _place_now(place: Location, made: dict[int, Sale | sales.SoldSale]) -> dict[str, Any]:
    """What the screen shows after the batch: the copies left at the place, its
    takings, and the latest sale the person may undo (one just ``made``, usually)."""
    assert place.section is not None
    currency = place.section.currency
    tally = event_queries.tally(db.session, place.id)
    latest = event_queries.last_sale_id(db.session, actor(), place.id)
    last = None if latest is None else made.get(latest) or db.session.get(Sale, latest)
    return {
        "stock": {
            f"{edition_id}:{condition}": qty
            for (edition_id, condition), qty in sorted(expected_stock(db.session, place.id).items())
        },
        "tally": {
            "sales": tally["sales"],
            "copies": tally["copies"],
            "total": plain(tally["total"], currency),
            "total_text": format_money(tally["total"], currency),
            "currency": currency,
            "takings": {method: plain(v, currency) for method, v in tally["takings"].items()},
        },
        "last": None
        if last is None
        else {
            "id": last.id,
            "text": sale_text(last),
            "undo_until": _iso(undo_until(_recorded_at(last))),
        },
    }
