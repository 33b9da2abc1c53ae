"""Signing sessions: authors sign copies on an event's table, turning unsigned copies into
signed ones, some of them dedicated to someone by name."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.accounts import Actor, actor_id
from tracker.domain.errors import DomainError
from tracker.domain.stock import Condition, MoveKind
from tracker.domain.text import clean
from tracker.domain.words import number, say, say_n
from tracker.ledger import MoveLine
from tracker.models import Author, Dedication, Document, Edition, Event, Signing
from tracker.services import atomic, documents
from tracker.services.events import get_event, may_run


def authors_of(session: Session, author_ids: list[int] | None) -> list[Author]:
    wanted = dict.fromkeys(author_ids or [])
    authors = [author for a in wanted if (author := session.get(Author, a)) is not None]
    if not authors or len(authors) != len(wanted):
        raise DomainError(say("Choose who signed: one author or more."))
    return authors


def _dedications(names: list[str] | None, qty: object) -> list[str]:
    kept = [clean(d, say("the dedication"), 200) or "" for d in (names or []) if d and d.strip()]
    if isinstance(qty, int) and not isinstance(qty, bool) and len(kept) > qty:
        raise DomainError(
            say_n(
                "%(dedications)s dedications for %(n)s copy: one dedication per copy at most.",
                "%(dedications)s dedications for %(n)s copies: one dedication per copy at most.",
                qty,
                dedications=len(kept),
                n=number(qty),
            )
        )
    return kept


@atomic
def sign(
    session: Session,
    actor: Actor | None,
    *,
    event_id: int,
    edition_id: int,
    qty: int,
    author_ids: list[int] | None,
    dedications: list[str] | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
) -> Signing:
    """Authors sign copies on the event's table: unsigned turn into signed."""
    may_run(actor)
    event = get_event(session, actor, event_id)
    if not event.is_open:
        raise DomainError(
            say("%(event)s is closed: reopen it to record a signing.", event=event.name)
        )
    authors = authors_of(session, author_ids)
    names = _dedications(dedications, qty)
    if session.get(Edition, edition_id) is None:
        raise DomainError(say("There is no edition %(id)s.", id=edition_id))
    at = documents.occurred_at(session, when)
    document = documents.start(
        session, actor, "signing", key=key, note=signed_by(authors), occurred_at=at
    )
    return record_signing(
        session, actor, document, event, edition_id, qty, authors=authors, names=names, at=at
    )


def signed_by(authors: list[Author]) -> str:
    """A signing document's note: who signed."""
    return f"Signed by {' and '.join(a.name for a in authors)}"


def record_signing(
    session: Session,
    actor: Actor | None,
    document: Document,
    event: Event,
    edition_id: int,
    qty: int,
    *,
    authors: list[Author],
    at: datetime,
    names: list[str] | None = None,
    tally_id: int | None = None,
    closed_ok: bool = False,
) -> Signing:
    """Turn ``qty`` unsigned copies on the event's table into signed ones, dated ``at``,
    for the document (started, the event checked), and write the signing: what a
    signing session and a paper tally share. ``closed_ok``: the event is closed, and a
    tally typed in after it says the copies were signed while it was open."""
    ledger.post(
        session,
        document,
        [
            MoveLine(
                MoveKind.SIGNING,
                edition_id,
                qty,
                event.location_id,
                event.location_id,
                Condition.UNSIGNED,
                Condition.SIGNED,
            )
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=at,
        closed_ok=(event.location_id,) if closed_ok else (),
    )
    signing = Signing(
        document_id=document.id,
        event_id=event.id,
        edition_id=edition_id,
        qty=qty,
        tally_id=tally_id,
        authors=authors,
        dedications=[Dedication(recipient=n) for n in names or []],
    )
    session.add(signing)
    session.flush()
    return signing
