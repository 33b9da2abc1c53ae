"""What every page shares: error pages, template filters."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from tracker import access
from tracker.db import db
from tracker.errors import DomainError
from tracker.money import format_money


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.jinja_env.filters["num"] = _number
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["date"] = _date
    app.context_processor(lambda: {"nav_links": nav_links})


# The main navigation; each link shows to the roles its route admits.
NAV = [
    ("stock.home", "Stock"),
    ("audit.index", "Audit trail"),
    ("admin.users", "Accounts"),
]


def nav_links() -> list[tuple[str, str]]:
    """The links of the main navigation the current user may follow."""
    if not current_user.is_authenticated:
        return []
    links = []
    for endpoint, label in NAV:
        rule = access.declared(endpoint)
        if rule is not None and (rule.public or current_user.role in rule.roles):
            links.append((endpoint, label))
    return links


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
    page = render_template("errors/error.html", status=status, title=title, message=message)
    return page, status


def _http_error(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error
    messages = {
        404: "There is nothing at this address. It may have been mistyped, or the thing it "
        "named no longer exists.",
        405: "This address does not accept that kind of request.",
    }
    message = messages.get(error.code, error.description or "")
    return _error_page(error.code, error.name, message)


def _domain_error(error: DomainError) -> Any:
    titles = {404: "Not found", 409: "Conflict", 422: "Cannot do that"}
    return _error_page(error.status_code, titles.get(error.status_code, "Error"), error.message)


def _unexpected_error(error: Exception) -> Any:
    from flask import current_app

    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    fallback = InternalServerError()
    return _error_page(
        500,
        fallback.name,
        "Something went wrong on our side and nothing was saved. Please try again; if it "
        "happens again, tell the tracker's administrators what you were doing.",
    )


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _datetime(value: Any) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _date(value: Any) -> str:
    return "" if value is None else value.strftime("%d %b %Y")
