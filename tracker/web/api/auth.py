"""Who sends an API request: a personal access token, or the browser's session.

``Authorization: Bearer <token>`` is looked up (``tracker.services.tokens``) before
anything else reads who is logged in: the token's owner is the request's user, with
their role and section fence, for this request only (no session cookie is made or
read). A token that is unknown, expired or revoked is 401, whatever cookie comes with
it. A read-only token may only read (a write is 403). Token requests carry no CSRF
token (a browser never adds the header by itself); session requests must, on writes,
as the sale screen's do. A request with neither is 401 (``tracker.web.access``).

Each token (else each person, else each address) may send ``API_RATE_LIMIT`` requests
(Flask-Limiter, in the same shared storage as the login throttle); beyond: 429 with
``Retry-After``.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask_login import current_user

from tracker.db import db
from tracker.web.api import PREFIX, bp
from tracker.web.problems import problem
from tracker.web.security import csrf, limiter

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    """Before every other check of who is asking (the request log notes the user first)."""
    app.before_request(_from_token)


def from_token() -> bool:
    """Whether this request is authenticated by a token."""
    return g.get("api_token") is not None


def _in_api() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def _from_token() -> Response | None:
    if not _in_api():
        return None
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, raw = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return _refused("Send the token as `Authorization: Bearer <token>`: nothing was recorded.")
    from tracker.services import tokens

    token = tokens.authenticate(db.session, raw.strip())
    if token is None:
        return _refused(
            "This token is unknown, expired or revoked: make a new one on your account page. "
            "Nothing was recorded."
        )
    g.api_token = token
    # Flask-Login's user of this request (its documented cache of current_user): the
    # token's owner, without a session.
    g._login_user = token.user
    if token.read_only and request.method not in SAFE_METHODS:
        return problem(
            403,
            "Read-only token",
            "This token may only read: make one that may write to send this. Nothing was recorded.",
            problem_type="read-only-token",
        )
    tokens.touch(db.session, token, request.remote_addr)
    return None


def _refused(detail: str) -> Response:
    response = problem(401, "Not authenticated", detail, problem_type="unauthenticated")
    response.headers["WWW-Authenticate"] = 'Bearer realm="tracker", error="invalid_token"'
    return response


@bp.before_request
def _writes() -> Response | None:
    """A session's writes carry its CSRF token (the blueprint is exempt from the
    automatic check, which cannot tell a token's request from a session's); every
    write's body is JSON."""
    if request.method in SAFE_METHODS:
        return None
    if not from_token():
        csrf.protect()
    if not request.is_json:
        return problem(
            415,
            "Not JSON",
            "Send the body as JSON (Content-Type: application/json): nothing was recorded.",
            problem_type="not-json",
        )
    return None


def _who() -> str:
    token = g.get("api_token")
    if token is not None:
        return f"api-token:{token.id}"
    if current_user.is_authenticated:
        return f"api-user:{current_user.id}"
    return f"api-address:{request.remote_addr}"


csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_who, scope="api")(bp)
