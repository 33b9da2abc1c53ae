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
DELETE on the audit tables (triggers: ``tracker.models.triggers``).

A hash chain makes a change that gets around the triggers (the tables' owner can drop
them) visible: when a transaction commits, each of its audit rows gets a link in
``audit_chain`` holding the SHA-256 of the row and of the link before it, and
``verify()`` walks the chain. Links are written at commit, not with the rows: the chain
needs one writer at a time (on PostgreSQL a transaction-level advisory lock; SQLite's
writers take turns anyway), and a lock taken as the last thing before the commit can
never close a cycle with the row locks that postings take.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import FromClause, event, inspect, select, text
from sqlalchemy.orm import Session

from tracker.db import Base, insert_rows, inserted_ids, table_of, utcnow
from tracker.models.accounts import AuditEntry, AuditLink, audit_sections
from tracker.models.places import Section
from tracker.models.stock import Document

_log = table_of(AuditEntry)
_links = table_of(AuditLink)

ACTOR = "actor_id"
# Audit rows written in the session's transaction and not chained yet: id -> content.
_PENDING = "audit_pending"
# A savepoint was rolled back since: some pending rows may be gone.
_RECHECK = "audit_recheck"
# The hash the first link follows.
GENESIS = "0" * 64
# Serialises appends to the chain on PostgreSQL (pg_advisory_xact_lock's key; any
# fixed number that nothing else in the database uses).
CHAIN_LOCK = 7_140_526_150_813_233


def set_actor(session: Session, user_id: int | None) -> None:
    session.info[ACTOR] = user_id


@dataclass(frozen=True)
class Entry:
    """An audit row to write: what happened (``kind``), to what, a summary for people,
    before and after, and the sections it concerns."""

    kind: str
    object_type: str
    object_id: object | None
    summary: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    section_ids: Iterable[int | None] = ()


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
    """Write one audit row (and the sections it concerns) in the session's transaction;
    its link in the hash chain is written when the transaction commits."""
    record_all(
        session,
        [Entry(kind, object_type, object_id, summary, before, after, section_ids)],
    )


def record_all(session: Session, entries: list[Entry]) -> None:
    """``record`` each entry, in that order, with one INSERT per table for them all."""
    if not entries:
        return
    connection = session.connection()
    at = utcnow()
    user_id = session.info.get(ACTOR)
    rows = [
        {
            "at": at,
            "user_id": user_id,
            "kind": entry.kind,
            "object_type": entry.object_type,
            "object_id": None if entry.object_id is None else str(entry.object_id),
            "summary": entry.summary,
            "before": _jsonable(entry.before),
            "after": _jsonable(entry.after),
        }
        for entry in entries
    ]
    ids = inserted_ids(connection, _log, rows)
    pending = session.info.setdefault(_PENDING, {})
    links = []
    for audit_id, row, entry in zip(ids, rows, entries, strict=True):
        sections = sorted({s for s in entry.section_ids if s is not None})
        links += [{"audit_id": audit_id, "section_id": s} for s in sections]
        # By id: on SQLite a savepoint rolled back frees its ids for the rows written next.
        pending[audit_id] = _content(audit_id, row, sections)
    insert_rows(connection, audit_sections, links)


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


# What JSON holds as it is: most values of an entry, checked first by their exact type
# (a ledger's entry holds hundreds of them: each one a call less).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {
            key if type(key) is str else str(key): item if type(item) in _PLAIN else _jsonable(item)
            for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _PLAIN else _jsonable(item) for item in value]
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


def _audited(obj: object, action: str) -> bool:
    """``__audit__``: True (the default) or False, or the actions recorded for a model
    whose rows are recorded by someone else when they are made (documents)."""
    audited = getattr(obj, "__audit__", True)
    if isinstance(audited, frozenset | set | tuple):
        audited = action in audited
    return bool(audited) and not isinstance(obj, AuditEntry)


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
    if isinstance(obj, Document):
        return _document_sections(obj)
    return [getattr(obj, "section_id", None)]


def _records_of_documents() -> list[FromClause]:
    """The tables of records made with a document (a shipment, a remittance...) that
    name their section."""
    return [
        mapper.local_table
        for mapper in Base.registry.mappers
        if [c.name for c in mapper.local_table.primary_key] == ["document_id"]
        and "section_id" in mapper.local_table.c
    ]


def _document_sections(document: Document) -> list[int | None]:
    """The section of the record a document belongs to (a document has none itself)."""
    session = Session.object_session(document)
    if session is None or document.id is None:
        return []
    connection = session.connection()
    sections: list[int | None] = []
    for table in _records_of_documents():
        sections += connection.scalars(
            select(table.c.section_id).where(table.c.document_id == document.id)
        )
    return sections


def _columns(obj: object) -> list[str]:
    excluded: Container[str] = getattr(obj, "__audit_exclude__", frozenset())
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in excluded]


def _values(obj: object) -> dict[str, Any]:
    return {key: getattr(obj, key) for key in _columns(obj)}


def _created(session: Session, obj: object) -> dict[str, Any]:
    """A new row's values; a record made with its document (a remittance, a shipment...)
    adds the document's note, which its posting's entry, if any, also shows."""
    values = _values(obj)
    document_id = getattr(obj, "document_id", None)
    if document_id is not None and "document" in inspect(obj).mapper.relationships:
        document = session.get(Document, document_id)
        if document is not None:
            values["note"] = document.note
    return values


def _changes(obj: object) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before, after = {}, {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if history.has_changes():
            before[key] = history.deleted[0] if history.deleted else None
            after[key] = history.added[0] if history.added else None
    return before, after


def _changed(session: Session, obj: object, action: str, summary: str, **values: Any) -> None:
    name = _name(obj)
    record(
        session,
        kind=f"{name}.{action}",
        object_type=name,
        object_id=_identity(obj),
        summary=f"{type(obj).__name__} {_label(obj)} {summary}",
        section_ids=_section_ids(obj),
        **values,
    )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context: object) -> None:
    for obj in list(session.new):
        if _audited(obj, "created"):
            _changed(session, obj, "created", "created", after=_created(session, obj))
    for obj in list(session.dirty):
        if not _audited(obj, "updated") or not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if after:  # else only columns that are not audited (a password hash...) changed
            summary = "updated: " + ", ".join(sorted(after))
            _changed(session, obj, "updated", summary, before=before, after=after)
    for obj in list(session.deleted):
        if _audited(obj, "deleted"):
            _changed(session, obj, "deleted", "deleted", before=_values(obj))


# -- the hash chain ----------------------------------------------------------------------


def _content(audit_id: int, row: dict[str, Any], sections: Iterable[int]) -> dict[str, Any]:
    """What a link's hash covers, from the row as written or as read back."""
    at = row["at"]
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return {
        "id": audit_id,
        "at": at.isoformat(timespec="microseconds"),
        "user": row["user_id"],
        "kind": row["kind"],
        "object": [row["object_type"], row["object_id"]],
        "summary": row["summary"],
        "before": row["before"],
        "after": row["after"],
        "sections": sorted(sections),
    }


def link_hash(content: dict[str, Any], previous: str) -> str:
    """SHA-256 of a row's content and the previous link's hash, as canonical JSON
    (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(
        {**content, "previous": previous},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


_CHUNK = 1000


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@event.listens_for(Session, "before_commit")
def _chain(session: Session) -> None:
    """Link the transaction's audit rows into the chain, as its last writes."""
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction goes on
    session.flush()  # the commit's own flush comes after this hook, and may audit
    pending: dict[int, dict[str, Any]] = session.info.get(_PENDING) or {}
    if not pending:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Held until the commit: the next transaction reads the head this one writes.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    ids = sorted(pending)
    if session.info.pop(_RECHECK, False):
        kept: set[int] = set()
        for chunk in _chunks(ids):
            kept.update(connection.scalars(select(_log.c.id).where(_log.c.id.in_(chunk))))
        ids = [audit_id for audit_id in ids if audit_id in kept]
    head = connection.execute(_HEAD).first()
    seq, previous = (head.seq, head.hash) if head else (0, GENESIS)
    links = []
    for audit_id in ids:
        seq += 1
        digest = link_hash(pending[audit_id], previous)
        links.append({"seq": seq, "audit_id": audit_id, "prev_hash": previous, "hash": digest})
        previous = digest
    insert_rows(connection, _links, links)
    pending.clear()


_HEAD = select(_links.c.seq, _links.c.hash).order_by(_links.c.seq.desc()).limit(1)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if session.info.get(_PENDING):
        session.info[_RECHECK] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the session's whole transaction, not a savepoint
        session.info.pop(_PENDING, None)
        session.info.pop(_RECHECK, None)


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: the rows it checked, the first problem (None: the chain is
    intact) and the newest link's hash (to note down elsewhere: a chain cut short at its
    end, with the links, shows only against a hash kept outside the database)."""

    rows: int
    problem: str | None
    head: str | None


_LINKED_ROW = (
    _links.c.seq,
    _links.c.audit_id,
    _links.c.prev_hash,
    _links.c.hash,
    _log.c.id,
    _log.c.at,
    _log.c.user_id,
    _log.c.kind,
    _log.c.object_type,
    _log.c.object_id,
    _log.c.summary,
    _log.c.before,
    _log.c.after,
)


def verify(session: Session) -> Verdict:
    """Walk the chain in order and recompute every link from its row."""
    connection = session.connection()
    previous, expected, checked = GENESIS, 1, 0
    while True:
        links = connection.execute(
            select(*_LINKED_ROW)
            .outerjoin(_log, _log.c.id == _links.c.audit_id)
            .where(_links.c.seq >= expected)
            .order_by(_links.c.seq)
            .limit(_CHUNK)
        ).all()
        if not links:
            break
        sections = _sections_of(connection, [link.audit_id for link in links])
        for link in links:
            problem = _link_problem(link, expected, previous, sections)
            if problem:
                return Verdict(
                    checked, f"audit row #{link.audit_id} (link {link.seq:,}): {problem}", None
                )
            previous, expected, checked = link.hash, expected + 1, checked + 1
    stray = connection.execute(
        select(_log.c.id)
        .outerjoin(_links, _links.c.audit_id == _log.c.id)
        .where(_links.c.audit_id.is_(None))
        .order_by(_log.c.id)
        .limit(1)
    ).scalar()
    if stray is not None:
        return Verdict(
            checked,
            f"audit row #{stray} is not in the chain: it was added around the tracker.",
            None,
        )
    return Verdict(checked, None, previous if checked else None)


def _sections_of(connection, audit_ids: list[int]) -> dict[int, list[int]]:
    sections: dict[int, list[int]] = {}
    for audit_id, section_id in connection.execute(
        select(audit_sections.c.audit_id, audit_sections.c.section_id).where(
            audit_sections.c.audit_id.in_(audit_ids)
        )
    ):
        sections.setdefault(audit_id, []).append(section_id)
    return sections


def _link_problem(link, expected: int, previous: str, sections: dict[int, list[int]]) -> str | None:
    """What is wrong with a link where the chain expects link ``expected`` after the
    hash ``previous``, or None."""
    if link.seq != expected:
        gone = f"{expected:,}" + (f" to {link.seq - 1:,}" if link.seq > expected + 1 else "")
        return (
            f"the links before it ({gone}) are missing: audit rows were deleted with their links."
        )
    if link.id is None:
        return "the row is missing: it was deleted."
    if link.prev_hash != previous:
        return "its link does not follow the link before it: the chain was cut or rewritten here."
    content = _content(link.id, link._mapping, sections.get(link.id, ()))
    if link_hash(content, link.prev_hash) != link.hash:
        return "its content does not match its hash: the row was changed after it was written."
    return None
