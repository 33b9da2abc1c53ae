"""Problem details (RFC 9457): how the tracker's JSON endpoints say what went wrong.

A view that answers programs (the sale screen's outbox, later the public API) is marked
``@api``. Every error on its routes, whatever raised it (a refused rule, a bad request,
nobody logged in, a missing CSRF token, a database that cannot serve), is then answered
as ``application/problem+json``::

    {"type": "not-found", "title": "Not found", "status": 404, "detail": "..."}

with more members where they help (``login``: where to log in again; ``max_batch``).
``type`` is one of a few short words, relative URI references as RFC 9457 allows, the
same words a batch's refused items carry; ``detail`` is written for people. Nobody
logged in is 401, never a redirect to the login page, so that a page's script can ask
the person to log in again without leaving the page; a missing or wrong CSRF token is
403.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Response, current_app, request, url_for

F = TypeVar("F", bound=Callable[..., Any])

PROBLEM_JSON = "application/problem+json"
_MARK = "tracker_api"

# The problem's type for each status, when nothing more precise is said.
TYPES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    422: "invalid",
    429: "too-many-requests",
    500: "server-error",
    503: "unavailable",
}


def api(view: F) -> F:
    """Mark a view as answering programs: its errors are problem details."""
    setattr(view, _MARK, True)
    return view


def is_api() -> bool:
    """Whether the request went to a view marked ``@api``, or to no route at all under
    the JSON API's address (an unknown operation, an id beyond any record's)."""
    endpoint = request.endpoint
    if endpoint is None:
        from tracker.web.api import PREFIX

        return request.path.startswith(f"{PREFIX}/")
    return bool(getattr(current_app.view_functions.get(endpoint), _MARK, False))


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    problem_type: str | None = None,
    extra: Mapping[str, object] | None = None,
) -> Response:
    """A problem details response, with ``extra`` members."""
    body = {
        "type": problem_type or TYPES.get(status, "about:blank"),
        "title": title,
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    return current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype=PROBLEM_JSON
    )


def unauthenticated(
    detail: str = "Log in again, then send it again: nothing was recorded.",
) -> Response:
    """401: nobody is logged in (or the session ended). The session cookie is how the
    tracker's programs authenticate; ``login`` says where to get one."""
    response = problem(401, "Not logged in", detail, extra={"login": url_for("auth.login")})
    response.headers["WWW-Authenticate"] = 'Cookie realm="tracker"'
    return response
