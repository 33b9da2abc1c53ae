"""Documents and their one-time submission keys.

Every form that makes a document carries a key made when the form was shown. The key
is stored with the document under a unique constraint, in the same transaction: the
same form sent twice (a reload, a double click, two tabs) finds the first document
instead of making a second one.

A program (the sale screen's outbox, later the public API) makes its own keys (UUIDs)
and sends, with each, what it asks for: the document keeps a digest of that
(``digest_of``), so that the same key sent again with the same content lands on the first
document, and with other content is refused (``KeyReused``) rather than taken for it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
import weakref
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached

from tracker.db import dialect_insert, inserted_ids, table_of, utcnow
from tracker.domain.accounts import Actor, actor_id
from tracker.domain.errors import DomainError
from tracker.domain.periods import day_end
from tracker.domain.text import clean
from tracker.domain.values import check_day
from tracker.domain.words import day, moment, say
from tracker.models import Document, Settings

_KEY = re.compile(r"^[0-9a-f]{32}$")
# A UUID as programs write it: 32 hex digits, with or without the dashes.
_UUID = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class AlreadySubmitted(DomainError):
    """This form was sent before: ``document_id`` is what it made (a document, or
    another record named by ``kind``, such as an event)."""

    status_code = 409

    def __init__(self, document_id: int, *, kind: str = "document"):
        self.document_id = document_id
        self.kind = kind
        if kind == "document":
            message = say("This form was already sent: it made document #%(id)s.", id=document_id)
        elif kind == "event":
            message = say("This form was already sent: it made event #%(id)s.", id=document_id)
        else:
            message = say(
                "This form was already sent: it made %(kind)s #%(id)s.", kind=kind, id=document_id
            )
        super().__init__(message)


class KeyReused(DomainError):
    """A key sent again with other content than the first time: two different things
    cannot be one, and neither is taken for the other."""

    status_code = 409

    def __init__(self, document_id: int, kind: str):
        self.document_id = document_id
        super().__init__(
            say(
                "This key was already used for a different %(kind)s.",
                kind=kind.replace("_", " "),
            )
        )


def new_key() -> str:
    return uuid.uuid4().hex


def valid_key(key: str | None) -> str | None:
    """The key as sent, if it has the shape of one (None: the form carries none)."""
    if key is not None and not _KEY.match(key):
        raise DomainError(say("This form is damaged or out of date: open it again and resend it."))
    return key


def program_key(value: object) -> str:
    """A key a program made (a UUID: 32 hex digits, with or without dashes, either
    case), as the tracker keeps keys (32 lower-case hex digits)."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        shown = repr(value) if len(repr(value)) <= 45 else repr(value)[:45] + "..."
        raise DomainError(
            say(
                "%(value)s is not a key: send a UUID, 32 hex digits with or without dashes.",
                value=shown,
            )
        )
    return value.replace("-", "").lower()


def digest_of(content: object) -> str:
    """SHA-256 (hex) of ``content`` as canonical JSON (sorted keys, no spaces, UTF-8;
    decimal numbers as their text): what a program sent with a key."""
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(
    session: Session, key: str | None, digest: str | None = None, kind: str = "document"
) -> str | None:
    """The key if it is new; AlreadySubmitted if a document has it (with the same
    ``digest``), KeyReused if it has it with another."""
    if valid_key(key) is None:
        return None
    existing = session.execute(
        select(Document.id, Document.submission_digest).where(Document.submission_key == key)
    ).first()
    if existing is not None:
        _taken(existing.id, existing.submission_digest, digest, kind)
    return key


def taken_keys(session: Session, keys: list[str]) -> dict[str, tuple[int, str | None]]:
    """Of ``keys``, those documents have: key -> (the document, the digest it keeps)."""
    found: dict[str, tuple[int, str | None]] = {}
    for start in range(0, len(keys), 500):
        for row in session.execute(_TAKEN, {"keys": keys[start : start + 500]}):
            found[row.submission_key] = (row.id, row.submission_digest)
    return found


_TAKEN = select(Document.id, Document.submission_key, Document.submission_digest).where(
    Document.submission_key.in_(bindparam("keys", expanding=True))
)


def refuse_taken(
    session: Session, key: str, digest: str | None = None, kind: str = "document"
) -> None:
    """The key is taken: AlreadySubmitted (the same content) or KeyReused (another)."""
    document_id, kept = taken_keys(session, [key])[key]
    _taken(document_id, kept, digest, kind)


def _taken(document_id: int, kept: str | None, sent: str | None, kind: str) -> None:
    """The key is taken by ``document_id``: the same thing sent again, or another."""
    if kept != sent:
        raise KeyReused(document_id, kind)
    raise AlreadySubmitted(document_id)


def start(
    session: Session,
    actor: Actor | None,
    kind: str,
    *,
    key: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
    digest: str | None = None,
) -> Document:
    """A new document row, written now. With a key, the row is inserted only if no
    document has the key yet (``ON CONFLICT DO NOTHING``: a second form with the same
    key waits for the first one's transaction, then finds its document). ``digest``:
    what a program sent with its key (``digest_of``); the key sent again with another
    is refused (``KeyReused``)."""
    valid_key(key)
    now = utcnow()
    values = {
        "kind": kind,
        "reference": clean(reference, say("the reference"), 120),
        "note": clean(note, say("the note"), multiline=True),
        "created_by_id": actor_id(actor),
        "occurred_at": occurred_at or now,
        "created_at": now,
        "submission_key": key,
        "submission_digest": digest,
    }
    if key is None:
        document = Document(**values)
        session.add(document)
        session.flush()
        return document
    document_id = session.scalar(_insert_once(session.get_bind().dialect.name), values)
    if document_id is None:
        # The key's document is there: the insert met it.
        taken = session.execute(
            select(Document.id, Document.submission_digest).where(Document.submission_key == key)
        ).one()
        _taken(taken.id, taken.submission_digest, digest, kind)
    # The row as written, in the session as if read back (nothing more to insert).
    document = Document(id=document_id, **values)
    make_transient_to_detached(document)
    session.add(document)
    _written_in(session, document)
    return document


def write(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Document rows (the columns ``start`` fills, checked already), in one INSERT: their
    ids, in order. Keyed rows (all of them keyed, each key once) are inserted only if
    their key is not taken; one that is (by a transaction that wrote it meanwhile)
    refuses them all, as ``start`` refuses it."""
    connection = session.connection()
    if rows and all(row["submission_key"] for row in rows):
        written: dict[str, int] = {
            row.submission_key: row.id
            for row in connection.execute(_insert_keyed(connection.dialect.name), rows)
        }
        for row in rows:
            if row["submission_key"] not in written:
                refuse_taken(session, row["submission_key"], row["submission_digest"], row["kind"])
        return [written[row["submission_key"]] for row in rows]
    return inserted_ids(connection, _documents, rows)


_documents = table_of(Document)


@functools.cache
def _insert_keyed(dialect: str):
    return (
        dialect_insert(dialect, _documents)
        .on_conflict_do_nothing(index_elements=[_documents.c.submission_key])
        .returning(_documents.c.id, _documents.c.submission_key)
    )


# Keyed documents put in the session as if read back, each with the transaction (the
# savepoint) that wrote it. The ORM takes out of the session, when a savepoint rolls
# back, only what it inserted itself: these are taken out here, so that the session
# goes on without them (a caller that carries on after a refused document, such as a
# batch of sales) and a later document given the same id (SQLite reuses ids) is not
# mistaken for one that no longer exists.
_WRITTEN = "tracker.documents.written"


def _written_in(session: Session, document: Document) -> None:
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_WRITTEN, []).append((weakref.ref(document), transaction))


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    written = session.info.get(_WRITTEN)
    if not written:
        return
    kept = []
    for ref, transaction in written:
        document = ref()
        if document is None:
            continue
        if _inside(transaction, previous_transaction):
            if document in session:
                session.expunge(document)
        else:
            kept.append((ref, transaction))
    written[:] = kept


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the session's whole transaction, not a savepoint
        session.info.pop(_WRITTEN, None)


@functools.cache
def _insert_once(dialect: str):
    """INSERT a document unless its key is taken (then nothing, and no id comes back)."""
    table = Document.__table__
    return (
        dialect_insert(dialect, table)
        .on_conflict_do_nothing(index_elements=[table.c.submission_key])
        .returning(table.c.id)
    )


def occurred_at(session: Session, when: date | datetime | None) -> datetime:
    """When something happened, as people date it: a moment (made aware, UTC), or a day
    (now if it is today, else the last second of that day, UTC). Never in the future,
    nor further back than the limit an admin set (``Settings.backdate_days``).

    Closed months are refused where the sections are known: by the ledger for what
    moves copies, by the services for the rest (``tracker.ledger.past``)."""
    return dater(session)(when)


def dater(session: Session) -> Callable[[date | datetime | None], datetime]:
    """``occurred_at`` for many dates at one go (an imported file's rows): the
    backdating limit is read once, when first needed."""
    limit: list[int | None] = []

    def at(when: date | datetime | None) -> datetime:
        now = utcnow()
        if when is None:
            return now
        check_day(when, say("The date"))
        if isinstance(when, datetime):
            moment_ = when if when.tzinfo else when.replace(tzinfo=UTC)
            if moment_ > now:
                raise DomainError(say("%(moment)s is in the future.", moment=moment(moment_)))
        elif when > now.date():
            raise DomainError(say("%(day)s is in the future.", day=day(when)))
        elif when == now.date():
            return now
        else:
            moment_ = day_end(when)
        if moment_.date() < now.date():
            if not limit:
                limit.append(session.scalar(_BACKDATE_DAYS))
            _within_limit(limit[0], moment_, now)
        return moment_

    return at


_settings = table_of(Settings)
_BACKDATE_DAYS = select(_settings.c.backdate_days).where(_settings.c.id == 1)


def _within_limit(days: int | None, at: datetime, now: datetime) -> None:
    if days is None:
        return
    earliest = (now - timedelta(days=days)).date()
    if at.date() < earliest:
        raise DomainError(
            say(
                "%(day)s is too far back: documents may be dated up to %(days)s days ago (from "
                "%(earliest)s). An admin can change the limit.",
                days=days,
                day=day(at.date()),
                earliest=day(earliest),
            )
        )
