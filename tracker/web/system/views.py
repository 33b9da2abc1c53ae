"""Probes for load balancers and orchestrators: liveness and readiness, in JSON.

``/readyz`` answers 200 or 503 to anyone, with its status alone: that is all a load
balancer needs. What the database said and the schema revisions (which would tell a
stranger which version of the tracker runs) go only to a signed-in admin, or to a request
that carries ``READYZ_TOKEN`` as ``Authorization: Bearer <token>`` (a monitoring system).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import db, outage
from tracker.migrate import current_heads, script_heads
from tracker.web.access import public

bp = Blueprint("system", __name__)


@bp.get("/healthz")
@public
def healthz():
    """The process answers. Touches no database."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    """The database answers and its schema is at the newest migration."""
    ready, details = _readiness()
    body = {"status": "ok" if ready else "unavailable"}
    if _may_see_details():
        body.update(details)
    return jsonify(body), 200 if ready else 503


def _readiness() -> tuple[bool, dict]:
    expected = sorted(script_heads())
    try:
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
        current = sorted(current_heads(connection))
    except SQLAlchemyError as exc:
        db.rollback()
        reason = type(exc.orig if hasattr(exc, "orig") else exc).__name__
        states: dict[str | None, str] = {"busy": "busy", "timeout": "not answering"}
        state = states.get(outage(exc), "unreachable")
        return False, {"database": state, "error": reason}
    if current != expected:
        return False, {
            "database": "reachable",
            "migrations": "behind" if current else "none applied",
            "current": current,
            "expected": expected,
        }
    return True, {
        "database": "reachable",
        "migrations": "at head",
        "current": current,
        "expected": expected,
    }


def _may_see_details() -> bool:
    token = current_app.config.get("READYZ_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer "):
        return hmac.compare_digest(sent.removeprefix("Bearer ").encode(), token.encode())
    from flask_login import current_user

    from tracker.domain.accounts import Role

    try:
        return bool(current_user.is_authenticated and current_user.role == Role.ADMIN)
    except SQLAlchemyError:
        return False
