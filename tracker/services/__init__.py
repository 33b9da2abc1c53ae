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

P = ParamSpec("P")
R = TypeVar("R")

# Rows a service wrote with plain SQL and put in the session as if read back (a keyed
# document): the ORM does not know they are new in the savepoint, so a savepoint that
# rolls back would leave them in the session. ``atomic`` takes them out.
WRITTEN_BY_SQL = "tracker.written_by_sql"


def written_by_sql(session: Session, obj: object) -> None:
    """Note that ``obj`` was inserted with plain SQL and added to the session as
    persistent: if the savepoint it was written in rolls back, it leaves the session."""
    session.info.setdefault(WRITTEN_BY_SQL, []).append(obj)


def atomic(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function (its first argument is the session) in a savepoint: all
    it wrote, or nothing, and the session as it was when it refused."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        assert isinstance(session, Session)
        written: list = session.info.setdefault(WRITTEN_BY_SQL, [])
        mark = len(written)
        try:
            with session.begin_nested():
                result = function(*args, **kwargs)
        except BaseException:
            for obj in written[mark:]:
                if obj in session:
                    session.expunge(obj)
            del written[mark:]
            raise
        if mark == 0:
            written.clear()  # the outermost service is done: nothing more to undo here
        return result

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
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(obj)
        return False
    session.refresh(obj)
    if audited:
        audit.updated(session, obj, before, {name: getattr(obj, name) for name in values}, action)
    return True
