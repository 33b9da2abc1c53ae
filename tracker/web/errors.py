"""Error pages: a refused rule, a bad address, a database that cannot serve, a bug.

Every answer below 500 says what is wrong; a database that is down, frozen or busy
answers 503 with a page that needs no database; anything else is a 500 that saved
nothing. All roll the request's transaction back. On the routes of programs (``@api``)
each is a problem details document (``tracker.web.problems``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, render_template, request
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError

from tracker.db import db, outage
from tracker.domain.errors import DomainError
from tracker.web.helpers import wants_json
from tracker.web.problems import is_api, problem
from tracker.web.security import login_manager


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(SQLAlchemyError, _database_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.register_error_handler(DataError, _value_refused_by_database)


def _error_page(
    status: int,
    title: str,
    message: str,
    problem_type: str | None = None,
    *,
    name: str | None = None,
    **extra: object,
) -> Any:
    """The error's page; JSON for a client that asked for it; a problem details document
    (of ``problem_type``, with ``extra`` members) on the routes of programs. ``name``:
    the title programs read instead of ``title`` (HTTP's English name of the status)."""
    title, message = str(title), str(message)  # in the reader's language, now
    db.rollback()
    if is_api():
        return problem(status, name or title, message, problem_type=problem_type, extra=extra)
    if wants_json():
        return {"error": name or title, "message": message, **extra}, status
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
    g._login_user = login_manager.anonymous_user()


# What a person reads when the database cannot serve: (title, message, Retry-After).
UNAVAILABLE = {
    "busy": (
        _l("Busy, try again"),
        _l(
            "The database is busy with other work just now, so this was not saved. Please "
            "try again in a few seconds."
        ),
        5,
    ),
    "timeout": (
        _l("The database is not answering"),
        _l(
            "The database took too long to answer, so this was not saved. Please try again "
            "in a moment; if it lasts, tell the tracker's administrators."
        ),
        15,
    ),
    "unreachable": (
        _l("The database cannot be reached"),
        _l(
            "The tracker cannot reach its database just now, so this was not saved. Please "
            "try again in a minute; if it lasts, tell the tracker's administrators."
        ),
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
    page = _error_page(503, title, message, retry_after=retry_after)
    response = current_app.make_response(page)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _database_error(error: SQLAlchemyError) -> Any:
    kind = outage(error)
    if kind is None:
        return _unexpected_error(error)
    return _unavailable(kind, error)


# What a person reads for each status HTTP names, in their language (Werkzeug's names
# and descriptions are English): the title (HTTP's name in English) and a sentence.
HTTP_WORDS: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Bad Request"),
        _l("The tracker could not read this request: check the address, or what was sent."),
    ),
    401: (_l("Unauthorized"), _l("Log in to see this page.")),
    403: (
        _l("Forbidden"),
        _l("Your account may not see this page or do this. Ask an administrator if it should."),
    ),
    404: (
        _l("Not Found"),
        _l(
            "There is nothing at this address. It may have been mistyped, or the thing it "
            "named no longer exists."
        ),
    ),
    405: (_l("Method Not Allowed"), _l("This address does not accept that kind of request.")),
    410: (_l("Gone"), _l("What was at this address is no longer here.")),
    413: (_l("Request Entity Too Large"), None),  # said by _too_large, with the limit
    429: (
        _l("Too Many Requests"),
        _l("Too many requests came from here in a short time. Wait a minute, then try again."),
    ),
}


def _http_error(error: HTTPException) -> Any:
    if error.code is None or error.code < 400:
        return error
    original = getattr(error, "original_exception", None)
    kind = outage(original)
    if kind is not None and original is not None:
        # An error Flask met outside the view (in an after_request function, say).
        return _unavailable(kind, original)
    if isinstance(error, CSRFError) and is_api():
        # A program's request without the session's token (in X-CSRFToken) is refused,
        # as a form's is; said as what it is: forbidden, not malformed.
        return _error_page(
            403,
            "CSRF token missing or wrong",
            f"{error.description} Reload the page, then send it again: nothing was recorded.",
            "csrf",
        )
    if error.code is None or error.code not in HTTP_WORDS:
        return _error_page(error.code or 500, error.name, error.description or "")
    title, message = HTTP_WORDS[error.code]
    if error.description != type(error).description:
        message = error.description or message  # said for this case, not HTTP's default
    elif error.code == 413:
        message = _too_large()
    return _error_page(error.code, title, message, name=error.name)


def _too_large() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return _("What was sent is larger than the tracker takes: nothing was saved.")
    return _(
        "What was sent is larger than the tracker takes (%(limit)s bytes at most): nothing "
        "was saved.",
        limit=format_number(limit),
    )


def _domain_error(error: DomainError) -> Any:
    titles = {
        400: _("Bad request"),
        404: _("Not found"),
        409: _("Conflict"),
        413: _("Too large"),
        422: _("Cannot do that"),
    }
    # Programs are told which value it is about (``lines[1].qty``) when it is known.
    about = {"field": error.field} if error.field else {}
    return _error_page(
        error.status_code,
        titles.get(error.status_code, _("Error")),
        error.message,
        error.problem_type,
        **about,
    )


def _unexpected_error(error: Exception) -> Any:
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return _error_page(
        500,
        _("Internal Server Error"),
        _(
            "Something went wrong on our side and nothing was saved. Please try again; if it "
            "happens again, tell the tracker's administrators what you were doing."
        ),
        name="Internal Server Error",
    )


def _value_refused_by_database(error: DataError) -> Any:
    """The last resort for a value the database cannot hold (a number out of range, a
    NUL byte on PostgreSQL) that got past the checks at input: the request is rolled
    back and refused (422), never a 500."""
    current_app.logger.warning(
        "value refused by the database on %s %s: %s", request.method, request.path, error.orig
    )
    return _error_page(
        422,
        _("Cannot do that"),
        _(
            "Something in what was sent is beyond what the tracker can keep (a number too "
            "large, or a character that cannot be stored). Nothing was saved: check what was "
            "typed and try again."
        ),
        name="Cannot do that",
    )
