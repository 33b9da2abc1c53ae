"""Probes for load balancers and orchestrators: liveness and readiness, in JSON."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.access import public
from tracker.db import db
from tracker.migrate import current_heads, script_heads

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
    expected = sorted(script_heads())
    try:
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
        current = sorted(current_heads(connection))
    except SQLAlchemyError as exc:
        reason = type(exc.orig if hasattr(exc, "orig") else exc).__name__
        return jsonify(status="unavailable", database="unreachable", error=reason), 503
    if current != expected:
        return jsonify(
            status="unavailable",
            database="reachable",
            migrations="behind" if current else "none applied",
            current=current,
            expected=expected,
        ), 503
    return jsonify(status="ok", database="reachable", migrations="at head", current=current)
