"""Documents and their one-time submission keys.

Every form that makes a document carries a key made when the form was shown. The key
is stored with the document under a unique constraint, in the same transaction: the
same form sent twice (a reload, a double click, two tabs) finds the first document
instead of making a second one.
"""

from __future__ import annotations

import functools
import re
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached

from tracker.db import dialect_insert, table_of, utcnow
from tracker.domain.accounts import Actor, actor_id
from tracker.domain.errors import DomainError
from tracker.domain.periods import day_end
from tracker.domain.text import clean
from tracker.domain.values import check_day
from tracker.models import Document, Settings

_KEY = re.compile(r"^[0-9a-f]{32}$")


class AlreadySubmitted(DomainError):
    """This form was sent before: ``document_id`` is what it made (a document, or
    another record named by ``kind``, such as an event)."""

    status_code = 409

    def __init__(self, document_id: int, *, kind: str = "document"):
        self.document_id = document_id
        self.kind = kind
        super().__init__(f"This form was already sent: it made {kind} #{document_id}.")


def new_key() -> str:
    return uuid.uuid4().hex


def valid_key(key: str | None) -> str | None:
    """The key as sent, if it has the shape of one (None: the form carries none)."""
    if key is not None and not _KEY.match(key):
        raise DomainError("This form is damaged or out of date: open it again and resend it.")
    return key


def check_key(session: Session, key: str | None) -> str | None:
    """The key if it is new; AlreadySubmitted if a document has it."""
    if valid_key(key) is None:
        return None
    existing = session.scalar(select(Document.id).where(Document.submission_key == key))
    if existing is not None:
        raise AlreadySubmitted(existing)
    return key


def start(
    session: Session,
    actor: Actor | None,
    kind: str,
    *,
    key: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
) -> Document:
    """A new document row, written now. With a key, the row is inserted only if no
    document has the key yet (``ON CONFLICT DO NOTHING``: a second form with the same
    key waits for the first one's transaction, then finds its document)."""
    valid_key(key)
    now = utcnow()
    values = {
        "kind": kind,
        "reference": clean(reference, "reference", 120),
        "note": clean(note, "note", multiline=True),
        "created_by_id": actor_id(actor),
        "occurred_at": occurred_at or now,
        "created_at": now,
        "submission_key": key,
    }
    if key is None:
        document = Document(**values)
        session.add(document)
        session.flush()
        return document
    document_id = session.scalar(_insert_once(session.get_bind().dialect.name), values)
    if document_id is None:
        # The key's document is there: the insert met it.
        raise AlreadySubmitted(
            session.scalars(select(Document.id).where(Document.submission_key == key)).one()
        )
    # The row as written, in the session as if read back (nothing more to insert).
    document = Document(id=document_id, **values)
    make_transient_to_detached(document)
    session.add(document)
    return document


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
    now = utcnow()
    if when is None:
        return now
    check_day(when, "The date")
    if isinstance(when, datetime):
        moment = when if when.tzinfo else when.replace(tzinfo=UTC)
        if moment > now:
            raise DomainError(f"{moment:%d %b %Y %H:%M} is in the future.")
    elif when > now.date():
        raise DomainError(f"{when:%d %b %Y} is in the future.")
    elif when == now.date():
        return now
    else:
        moment = day_end(when)
    if moment.date() < now.date():
        _within_limit(session, moment, now)
    return moment


_settings = table_of(Settings)
_BACKDATE_DAYS = select(_settings.c.backdate_days).where(_settings.c.id == 1)


def _within_limit(session: Session, moment: datetime, now: datetime) -> None:
    days = session.scalar(_BACKDATE_DAYS)
    if days is None:
        return
    earliest = (now - timedelta(days=days)).date()
    if moment.date() < earliest:
        raise DomainError(
            f"{moment:%d %b %Y} is too far back: documents may be dated up to {days} days "
            f"ago (from {earliest:%d %b %Y}). An admin can change the limit."
        )
