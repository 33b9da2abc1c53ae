"""Domain operations, one module per area.

Each function takes the session first and the acting user (None: the system, such as
the demo or a command), checks the business rules, writes through the models and the
ledger, flushes, and never commits: the caller (a request, a CLI command) owns the
transaction. A function that writes runs in a savepoint of its own (``@atomic``), so
that a rule failing half-way leaves nothing of it behind. Rules that fail raise
``tracker.domain.errors.DomainError`` with a message meant for people.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from tracker import audit
from tracker.db import rowcount

P = ParamSpec("P")
R = TypeVar("R")


def atomic(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function (its first argument is the session) in a savepoint: all
    it wrote, or nothing. A savepoint that rolls back also takes out of the session what
    was added to it inside (a keyed document included: ``tests/test_one_rule.py``)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        assert isinstance(session, Session)
        with session.begin_nested():
            return function(*args, **kwargs)

    return wrapper


def change_once(
    session: Session,
    obj: Any,
    condition: Any,
    values: dict[str, Any],
    action: str,
    *,
    audited: bool = True,
) -> bool:
    """Set ``values`` on ``obj``'s row with one conditional UPDATE (``... WHERE`` its key
    ``AND condition``), so that of two people doing the same at once, one changes it;
    True when this one did (the change is then in the audit trail, before and after),
    False when the condition no longer held (someone else changed it first)."""
    table = type(obj).__table__
    mapper = type(obj).__mapper__
    keys = [
        table.c[column.key] == value
        for column, value in zip(
            mapper.primary_key, mapper.primary_key_from_instance(obj), strict=True
        )
    ]
    before = {name: getattr(obj, name) for name in values}
    result = session.execute(update(table).where(*keys, condition).values(**values))
    if rowcount(result) != 1:
        session.refresh(obj)
        return False
    session.refresh(obj)
    if audited:
        audit.updated(session, obj, before, {name: getattr(obj, name) for name in values}, action)
    return True
