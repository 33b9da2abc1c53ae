"""What every page shares: error pages, template filters."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, render_template, request
from flask_login import current_user
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from tracker import access
from tracker.db import db, outage
from tracker.domain.errors import DomainError
from tracker.domain.money import format_money, from_minor


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(SQLAlchemyError, _database_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.register_error_handler(DataError, _value_refused_by_database)
    app.jinja_env.filters["num"] = _number
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["minor_to_decimal"] = lambda minor, currency: str(
        from_minor(minor, currency)
    )
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["date"] = _date
    app.context_processor(lambda: {"nav_links": nav_links, "can_use": can_use})


# The main navigation; each link shows to the roles its route admits.
NAV = [
    ("dashboard.index", "Dashboard"),
    ("stock.home", "Stock"),
    ("shipments.index", "Shipments"),
    ("movements.transfers", "Movements"),
    ("events.index", "Events"),
    ("money.index", "Money"),
    ("audit.index", "Audit trail"),
    ("admin.users", "Accounts"),
]


def can_use(endpoint: str) -> bool:
    """Whether the current user's role may use a route (for links and buttons)."""
    rule = access.declared(endpoint)
    if rule is None or not current_user.is_authenticated:
        return bool(rule and rule.public)
    return rule.public or current_user.role in rule.roles


def nav_links() -> list[tuple[str, str]]:
    """The links of the main navigation the current user may follow."""
    if not current_user.is_authenticated:
        return []
    return [(endpoint, label) for endpoint, label in NAV if can_use(endpoint)]


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _error_page(status: int, title: str, message: str) -> Any:
    db.rollback()
    if _wants_json():
        return {"error": title, "message": message}, status
    if request.url_rule is None and isinstance(request.routing_exception, SecurityError):
        # An untrusted Host header: no URL can be built for the page's links.
        return Response(f"{title}: {message}\n", status, mimetype="text/plain")
    try:
        page = render_template("errors/error.html", status=status, title=title, message=message)
    except SQLAlchemyError:
        # The page shows who is logged in, which may need the database (the user, read
        # again after the rollback): without it, the page shows no one.
        db.rollback()
        _forget_user()
        page = render_template("errors/error.html", status=status, title=title, message=message)
    return page, status


def _forget_user() -> None:
    """For the rest of this request, show pages as to a visitor: who is logged in is
    read from the database (Flask-Login's user loader), which may be unavailable. The
    login itself stays: the session cookie is not touched."""
    g._login_user = current_app.login_manager.anonymous_user()


# What a person reads when the database cannot serve: (title, message, Retry-After).
UNAVAILABLE = {
    "busy": (
        "Busy, try again",
        "The database is busy with other work just now, so this was not saved. Please try "
        "again in a few seconds.",
        5,
    ),
    "timeout": (
        "The database is not answering",
        "The database took too long to answer, so this was not saved. Please try again in "
        "a moment; if it lasts, tell the tracker's administrators.",
        15,
    ),
    "unreachable": (
        "The database cannot be reached",
        "The tracker cannot reach its database just now, so this was not saved. Please "
        "try again in a minute; if it lasts, tell the tracker's administrators.",
        30,
    ),
}


def _unavailable(kind: str, error: BaseException) -> Any:
    """503 with the tracker's own page (or JSON), which needs no database."""
    cause = getattr(error, "orig", None) or error
    current_app.logger.warning(
        "database %s on %s %s: %s",
        kind,
        request.method,
        request.path,
        str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__,
    )
    db.rollback()
    _forget_user()
    title, message, retry_after = UNAVAILABLE[kind]
    page = _error_page(503, title, message)
    if isinstance(page, tuple) and isinstance(page[0], dict):
        page[0]["retry_after"] = retry_after
    response = current_app.make_response(page)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _database_error(error: SQLAlchemyError) -> Any:
    kind = outage(error)
    if kind is None:
        return _unexpected_error(error)
    return _unavailable(kind, error)


def _http_error(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error
    original = getattr(error, "original_exception", None)
    kind = outage(original)
    if kind is not None:
        # An error Flask met outside the view (in an after_request function, say).
        return _unavailable(kind, original)
    messages = {
        404: "There is nothing at this address. It may have been mistyped, or the thing it "
        "named no longer exists.",
        405: "This address does not accept that kind of request.",
    }
    message = messages.get(error.code, error.description or "")
    return _error_page(error.code, error.name, message)


def _domain_error(error: DomainError) -> Any:
    titles = {400: "Bad request", 404: "Not found", 409: "Conflict", 422: "Cannot do that"}
    return _error_page(error.status_code, titles.get(error.status_code, "Error"), error.message)


def _unexpected_error(error: Exception) -> Any:
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    fallback = InternalServerError()
    return _error_page(
        500,
        fallback.name,
        "Something went wrong on our side and nothing was saved. Please try again; if it "
        "happens again, tell the tracker's administrators what you were doing.",
    )


def _value_refused_by_database(error: DataError) -> Any:
    """The last resort for a value the database cannot hold (a number out of range, a
    NUL byte on PostgreSQL) that got past the checks at input: the request is rolled
    back and refused (422), never a 500."""
    from flask import current_app

    current_app.logger.warning(
        "value refused by the database on %s %s: %s", request.method, request.path, error.orig
    )
    return _error_page(
        422,
        "Cannot do that",
        "Something in what was sent is beyond what the tracker can keep (a number too "
        "large, or a character that cannot be stored). Nothing was saved: check what was "
        "typed and try again.",
    )


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _datetime(value: Any) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _date(value: Any) -> str:
    return "" if value is None else value.strftime("%d %b %Y")


def document_url(document_id: int) -> str:
    """The page that shows a document best: a shipment's own page for a shipment or
    its receipts, a stocktake's report, else the document's moves."""
    from flask import url_for

    from tracker.models import Document, Receipt

    document = db.session.get(Document, document_id)
    if document is not None and document.kind == "shipment":
        return url_for("shipments.detail", shipment_id=document_id)
    if document is not None and document.kind == "receipt":
        receipt = db.session.get(Receipt, document_id)
        if receipt is not None:
            return url_for("shipments.detail", shipment_id=receipt.shipment_id)
    if document is not None and document.kind == "stocktake":
        return url_for("movements.stocktake", document_id=document_id)
    return url_for("stock.document", document_id=document_id)


def submit(form: Any, action: Any, done: Any) -> Any:
    """Validate a posted form and run ``action()``; answer ``done(result)``.

    A form sent before lands on what it made. A rule that refuses rolls everything back
    and shows its message on the form: the caller then renders the form again (with
    status 422 when it was submitted). Returns None in that case.
    """
    from flask import flash, redirect, url_for

    from tracker.services.documents import AlreadySubmitted

    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except AlreadySubmitted as earlier:
        db.rollback()
        flash("This form was already sent: here is what it recorded.", "message")
        if earlier.kind == "event":
            return redirect(url_for("events.detail", event_id=earlier.document_id))
        return redirect(document_url(earlier.document_id))
    except DomainError as error:
        db.rollback()
        form.form_errors.append(error.message)
        return None
    return done(result)


def form_status(form: Any) -> int:
    """422 for a form sent back with errors, 200 for a form shown."""
    return 422 if form.is_submitted() else 200
