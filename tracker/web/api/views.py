"""The API's own pages: its OpenAPI document, read as JSON by programs and as a page
by people, and who a token acts as. Problems of a request that does not fit its
operation are written here too."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, current_app, g, render_template
from flask_login import current_user

from tracker.web.access import public, signed_in
from tracker.web.api import bp
from tracker.web.api.schemas import Model
from tracker.web.api.spec import InvalidRequest, answer, document, openapi
from tracker.web.problems import api, problem
from tracker.web.security import limiter


@bp.get("/openapi.json")
@public
@api
def openapi_document() -> Response:
    """The OpenAPI 3.1 document (no data in it: anyone may read it)."""
    return current_app.response_class(
        current_app.json.dumps(openapi()), mimetype="application/json"
    )


@bp.get("/docs")
@public
def docs() -> str:
    """The document as a page: every operation, its parameters, body and answers."""
    return render_template("api/docs.html", document=openapi())


class Me(Model):
    id: int
    email: str
    name: str
    role: str
    section: int | None
    token: str | None
    read_only: bool


@bp.get("/me")
@signed_in
@api
@document(tag="account", answers={200: Me})
def me() -> Response:
    """Who the request acts as.

    The token's (or session's) person: their role and, for a treasurer, the one section
    they may see and change.
    """
    token = g.get("api_token")
    return answer(
        Me(
            id=current_user.id,
            email=current_user.email,
            name=current_user.name,
            role=str(current_user.role),
            section=current_user.section_id,
            token=None if token is None else token.name,
            read_only=bool(token is not None and token.read_only),
        )
    )


@bp.errorhandler(InvalidRequest)
def _invalid(error: InvalidRequest) -> Response:
    errors = [_field_error(e, error.where) for e in error.error.errors()]
    first = errors[0]
    return problem(
        422,
        "Not a request this operation takes",
        f"{first['field']}: {first['detail']} Nothing was recorded.",
        problem_type="invalid",
        extra={"field": first["field"], "errors": errors},
    )


def _field_error(error: Any, where: str) -> dict[str, str]:
    path = ""
    for part in error.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return {"field": path or where, "detail": str(error.get("msg", "is not valid"))}


@bp.after_request
def _retry_after(response: Response) -> Response:
    """A throttled request says when to send it again (Flask-Limiter's window)."""
    if response.status_code == 429 and "Retry-After" not in response.headers:
        limit = limiter.current_limit
        if limit is not None:
            response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
    return response
