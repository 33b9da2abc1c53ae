"""``Idempotency-Key`` on every write (the IETF draft "The Idempotency-Key HTTP Header
Field"): a program sends a key it made with each write; if the answer never came (a
dropped connection, a phone gone offline), it sends the same request with the same key
again and gets the first answer, and nothing is written twice.

The key is claimed first, inside the write's own transaction (an insert that waits for
any other transaction claiming the same key of the same person, then finds it taken):
two copies of a request sent at once give one write and, to the second, the first's
answer. The answer is kept with the claim; a write that is refused or rolled back
leaves no claim, so the same key may be sent again. The same key with another request
(another method, path or body) is refused (422), as neither can be taken for the other.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from flask_login import current_user
from sqlalchemy import select

from tracker.db import db, dialect_insert, utcnow
from tracker.models import IdempotentRequest
from tracker.web.api.spec import IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_PATTERN
from tracker.web.problems import problem

F = TypeVar("F", bound=Callable[..., Any])

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def idempotent(view: F) -> F:
    """Run the write once per (person, key); answer a repeat with the first answer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(IDEMPOTENCY_KEY, "")
        if not _KEY.fullmatch(key):
            return problem(
                400,
                "Idempotency-Key missing",
                f"Send a key you made for this write (a UUID) in the {IDEMPOTENCY_KEY} "
                "header: 1 to 255 visible ASCII characters. Nothing was recorded.",
                problem_type="idempotency-key-missing",
                extra={"field": IDEMPOTENCY_KEY},
            )
        digest = _digest()
        claim = _claim(key, digest)
        if isinstance(claim, Response):
            return claim
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code < 400:
            claim.status = response.status_code
            claim.body = response.get_data(as_text=True)
            claim.location = response.headers.get("Location")
            db.session.flush()
        return response

    return wrapper  # type: ignore[return-value]


def _digest() -> str:
    what = b"\n".join(
        [request.method.encode(), request.path.encode(), request.get_data(cache=True)]
    )
    return hashlib.sha256(what).hexdigest()


def _claim(key: str, digest: str) -> IdempotentRequest | Response:
    """The new claim of ``key``, or the answer to a request that claimed it before."""
    session = db.session
    table = IdempotentRequest.__table__
    values = {
        "user_id": current_user.id,
        "key": key,
        "method": request.method,
        "path": request.path[:2000],
        "digest": digest,
        "created_at": utcnow(),
    }
    insert = (
        dialect_insert(session.get_bind().dialect.name, table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(table.c.id)
    )
    claimed = session.scalar(insert)
    if claimed is not None:
        return session.get_one(IdempotentRequest, claimed)
    earlier = session.scalars(
        select(IdempotentRequest).where(
            IdempotentRequest.user_id == current_user.id, IdempotentRequest.key == key
        )
    ).one()
    if earlier.digest != digest:
        return problem(
            422,
            "Key already used",
            f"This {IDEMPOTENCY_KEY} was already used for another request "
            f"({earlier.method} {earlier.path}): make a new key for a new write. "
            "Nothing was recorded.",
            problem_type="key-reused",
            extra={"field": IDEMPOTENCY_KEY},
        )
    if earlier.status is None or earlier.body is None:  # not written by this module
        return problem(409, "Key in use", "This key's request has no answer kept.")
    replay = current_app.response_class(
        earlier.body, status=earlier.status, mimetype="application/json"
    )
    replay.headers["Idempotent-Replayed"] = "true"
    if earlier.location:
        replay.headers["Location"] = earlier.location
    return replay
