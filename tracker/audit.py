"""The audit trail: who changed what, when, before and after, in the same transaction.

Two ways in, both writing ``audit_log`` rows through the session's own connection, so
that an audit row exists exactly when its change is committed:

* every ORM insert, update or delete of an audited model is recorded by a flush hook
  (models opt out with ``__audit__ = False``; columns such as password hashes are left
  out with ``__audit_exclude__``);
* what is written with plain SQL (the ledger's moves) or is not a row change (a login)
  is recorded with ``record()``.

The acting user is ``session.info["actor_id"]`` (set per request by the accounts module,
per command by the CLI); None means the system itself. The database refuses UPDATE and
DELETE on the audit tables (triggers, see the migration that creates them).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from tracker.db import utcnow
from tracker.models.accounts import AuditEntry, audit_sections
from tracker.models.places import Section

_log = AuditEntry.__table__

ACTOR = "actor_id"


def set_actor(session: Session, user_id: int | None) -> None:
    session.info[ACTOR] = user_id


def record(
    session: Session,
    *,
    kind: str,
    object_type: str,
    object_id: object | None,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    section_ids: Iterable[int | None] = (),
) -> None:
    """Write one audit row (and the sections it concerns) in the session's transaction."""
    connection = session.connection()
    audit_id = connection.execute(
        insert(_log).returning(_log.c.id),
        {
            "at": utcnow(),
            "user_id": session.info.get(ACTOR),
            "kind": kind,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "summary": summary,
            "before": _jsonable(before),
            "after": _jsonable(after),
        },
    ).scalar_one()
    sections = sorted({s for s in section_ids if s is not None})
    if sections:
        connection.execute(
            insert(audit_sections), [{"audit_id": audit_id, "section_id": s} for s in sections]
        )


def updated(
    session: Session,
    obj: object,
    before: dict[str, Any],
    after: dict[str, Any],
    action: str | None = None,
) -> None:
    """Record a change made with a conditional UPDATE (a status that moves on only if
    it is still what it was), which the flush hook does not see."""
    name = _name(obj)
    record(
        session,
        kind=f"{name}.{action or 'updated'}",
        object_type=name,
        object_id=_identity(obj),
        summary=f"{type(obj).__name__} {_label(obj)} {action or 'updated'}: "
        + ", ".join(sorted(after)),
        before=before,
        after=after,
        section_ids=_section_ids(obj),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _audited(obj: object) -> bool:
    return getattr(obj, "__audit__", True) and not isinstance(obj, AuditEntry)


def _name(obj: object) -> str:
    return type(obj).__name__.lower()


def _label(obj: object) -> str:
    for attribute in ("email", "code", "isbn", "name"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str):
            return value
    return f"#{_identity(obj)}"


def _identity(obj: object) -> str | None:
    # The primary key as the row has it (a new object has no identity key yet while the
    # flush that inserts it is still going on).
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(k is None for k in key):
        return None
    return ":".join(str(k) for k in key)


def _section_ids(obj: object) -> list[int | None]:
    if isinstance(obj, Section):
        return [obj.id]
    return [getattr(obj, "section_id", None)]


def _columns(obj: object) -> list[str]:
    excluded = getattr(obj, "__audit_exclude__", frozenset())
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in excluded]


def _values(obj: object) -> dict[str, Any]:
    return {key: getattr(obj, key) for key in _columns(obj)}


def _changes(obj: object) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before, after = {}, {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if history.has_changes():
            before[key] = history.deleted[0] if history.deleted else None
            after[key] = history.added[0] if history.added else None
    return before, after


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: object) -> None:
    for obj in list(session.new):
        if _audited(obj):
            record(
                session,
                kind=f"{_name(obj)}.created",
                object_type=_name(obj),
                object_id=_identity(obj),
                summary=f"{type(obj).__name__} {_label(obj)} created",
                after=_values(obj),
                section_ids=_section_ids(obj),
            )
    for obj in list(session.dirty):
        if not _audited(obj) or not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if not after:
            continue  # only columns that are not audited (a password hash...) changed
        changed = ", ".join(sorted(after))
        record(
            session,
            kind=f"{_name(obj)}.updated",
            object_type=_name(obj),
            object_id=_identity(obj),
            summary=f"{type(obj).__name__} {_label(obj)} updated: {changed}",
            before=before,
            after=after,
            section_ids=_section_ids(obj),
        )
    for obj in list(session.deleted):
        if _audited(obj):
            record(
                session,
                kind=f"{_name(obj)}.deleted",
                object_type=_name(obj),
                object_id=_identity(obj),
                summary=f"{type(obj).__name__} {_label(obj)} deleted",
                before=_values(obj),
                section_ids=_section_ids(obj),
            )
