"""Paper tallies: what a table or a store sold, or what authors signed at an event,
typed in at one go from the paper kept at the book table, days later.

A tally is one document (kind ``sales_tally`` or ``signings_tally``) with its ``Tally``
row. The sales it stands for (one per payment method) and the signings (one per
edition) are documents of their own that point at it, made by the same code as a sale
on the screen or a signing session, and dated when the tally says they happened.

An event closed already brought its leftovers back to the store when it closed,
counting the copies the tally sold among them (and the copies it signed as unsigned).
The tally's own document then puts the record straight at that very moment: the copies
sold go from the store back to the table (and, for signings, the signed copies go to
the store in place of as many unsigned ones). Replayed in the order things happened,
every place then holds what it held; when the place never held the copies then, the
tally is refused ("not there then"), and nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.accounts import Actor, actor_id, require_section
from tracker.domain.errors import DomainError, NotFound, NotThereThen
from tracker.domain.events import TALLY_DOCUMENTS, PaymentMethod, TallyKind
from tracker.domain.stock import MAX_QTY, Condition, MoveKind, check_quantity
from tracker.domain.text import clean
from tracker.domain.words import moment, say
from tracker.domain.words import number as grouped
from tracker.ledger import MoveLine, edition_label, past
from tracker.models import Document, Edition, Event, Location, Move, Sale, Tally
from tracker.services import atomic, documents, sales, signings
from tracker.services.events import get_event, may_run
from tracker.services.places import store_of

# Lines a tally takes at most: a paper tally is a page or two, not a catalogue.
MAX_TALLY_LINES = 400

# (edition id, condition): copies.
Wanted = dict[tuple[int, str], int]


class AlreadyVoided(DomainError):
    status_code = 409


@dataclass(frozen=True)
class TallyLine:
    """A line of a sales tally: so many copies of an edition, unsigned or signed, paid
    one way, at the section's price unless ``unit_price`` says otherwise."""

    edition_id: int
    qty: int
    payment_method: str = PaymentMethod.CASH.value
    condition: str = Condition.UNSIGNED.value
    unit_price: Decimal | str | None = None


@dataclass(frozen=True)
class SignedCopies:
    """A line of a signing tally: so many copies of an edition signed."""

    edition_id: int
    qty: int


def get_tally(session: Session, actor: Actor | None, tally_id: int) -> Tally:
    tally = session.get(Tally, tally_id)
    if tally is None:
        raise NotFound(say("There is no paper tally %(id)s.", id=tally_id))
    require_section(actor, tally.section_id, say("There is no paper tally %(id)s.", id=tally_id))
    return tally


@atomic
def record_sales_tally(
    session: Session,
    actor: Actor | None,
    *,
    location_id: int,
    lines: list[TallyLine],
    when: date | datetime | None,
    key: str | None = None,
    note: str | None = None,
) -> Tally:
    """What a table or a store sold, typed in from its paper tally: a sale per payment
    method, dated when the tally says; all of it, or nothing."""
    may_run(actor)
    at = documents.occurred_at(session, when)
    # The document first: a tally sent twice finds its key taken before anything else.
    document = documents.start(
        session, actor, TALLY_DOCUMENTS[TallyKind.SALES], key=key, note=note, occurred_at=at
    )
    till = sales.till(session, actor, location_id, closed_ok=True)
    place, event = till.place, till.event
    by_method = _sales_by_method(session, till, lines)
    tally = _tally(session, document, TallyKind.SALES, place, event)
    sold: Wanted = defaultdict(int)
    for sale_lines in by_method.values():
        for line in sale_lines:
            sold[(line.edition.id, line.condition)] += line.qty
    _check_totals(session, sold)
    _held_then(session, place, event, sold, at)
    closed = event is not None and not event.is_open
    if event is not None and closed:
        _post_back(session, actor, document, event, sold, to_table=True)
    sales.record_sales(
        session,
        actor,
        till,
        [
            sales.NewSale(at, method, sale_lines, tally_id=tally.id, note=_from(tally))
            for method, sale_lines in by_method.items()
        ],
        closed_ok=closed,
    )
    return tally


@atomic
def record_signing_tally(
    session: Session,
    actor: Actor | None,
    *,
    event_id: int,
    lines: list[SignedCopies],
    when: date | datetime | None,
    author_ids: list[int] | None,
    key: str | None = None,
    note: str | None = None,
) -> Tally:
    """What authors signed at an event, typed in afterwards: a signing per edition,
    unsigned copies on the event's table turned into signed ones when the tally says."""
    may_run(actor)
    at = documents.occurred_at(session, when)
    document = documents.start(
        session, actor, TALLY_DOCUMENTS[TallyKind.SIGNINGS], key=key, note=note, occurred_at=at
    )
    event = get_event(session, actor, event_id)
    authors = signings.authors_of(session, author_ids)
    signed = _signed(session, lines)
    tally = _tally(session, document, TallyKind.SIGNINGS, event.location, event)
    closed = not event.is_open
    unsigned = {(edition_id, Condition.UNSIGNED.value): qty for edition_id, qty in signed.items()}
    if closed:
        _signed_before_close(event, at)
    _held_then(session, event.location, event, unsigned, at)
    if closed:
        _post_back(session, actor, document, event, unsigned, to_table=True)
    for edition_id, qty in signed.items():
        signings.record_signing(
            session,
            actor,
            documents.start(
                session, actor, "signing", note=signings.signed_by(authors), occurred_at=at
            ),
            event,
            edition_id,
            qty,
            authors=authors,
            at=at,
            tally_id=tally.id,
            closed_ok=closed,
        )
    if closed:
        # The leftovers went back unsigned: as many of them went back signed.
        now_signed = {(edition_id, Condition.SIGNED.value): q for edition_id, q in signed.items()}
        _post_back(session, actor, document, event, now_signed, to_table=False)
    return tally


@atomic
def void_tally(
    session: Session,
    actor: Actor | None,
    tally_id: int,
    reason: str | None,
    when: date | datetime | None = None,
) -> Tally:
    """Void every sale of a sales tally still standing (each one as a sale is voided:
    its copies go back where they were sold, or to the store once the event closed)."""
    may_run(actor)
    tally = get_tally(session, actor, tally_id)
    if tally.kind != TallyKind.SALES:
        raise DomainError(
            say("Paper tally #%(id)s counted signings: only a sales tally is voided.", id=tally.id)
        )
    if not clean(reason, say("the reason"), 500, multiline=True):
        raise DomainError(say("Say why the tally is voided."))
    standing = session.scalars(
        select(Sale.document_id)
        .where(Sale.tally_id == tally.id, Sale.voided_at.is_(None))
        .order_by(Sale.document_id)
    ).all()
    if not standing:
        raise AlreadyVoided(say("Paper tally #%(id)s was already voided.", id=tally.id))
    for sale_id in standing:
        sales.void_sale(session, actor, sale_id, reason, when=when)
    return tally


# -- inside ------------------------------------------------------------------------------------


def _from(tally: Tally) -> str:
    return f"From paper tally #{tally.id}"


def _tally(
    session: Session, document: Document, kind: TallyKind, place: Location, event: Event | None
) -> Tally:
    assert place.section_id is not None
    tally = Tally(
        document_id=document.id,
        kind=kind.value,
        section_id=place.section_id,
        location_id=place.id,
        event_id=event.id if event else None,
    )
    session.add(tally)
    session.flush()
    return tally


def _count(lines: list) -> None:
    if not lines:
        raise DomainError(say("The tally has no lines: type what the paper says, a line each."))
    if len(lines) > MAX_TALLY_LINES:
        raise DomainError(
            say(
                "The tally has %(lines)s lines; it takes at most %(most)s: type it in two parts.",
                lines=grouped(len(lines)),
                most=MAX_TALLY_LINES,
            )
        )


def _sales_by_method(
    session: Session, till: sales.Till, lines: list[TallyLine]
) -> dict[PaymentMethod, list[sales.SoldLine]]:
    """Each line checked (its payment, edition, copies, condition and price), grouped by
    how the readers paid, in the order of the payment methods."""
    _count(lines)
    grouped: dict[PaymentMethod, list[sales.SoldLine]] = defaultdict(list)
    for number, line in enumerate(lines, 1):
        try:
            method = sales.payment(line.payment_method)
            item = sales.SaleItem(line.edition_id, line.qty, line.condition, line.unit_price)
            grouped[method] += sales.sale_lines(session, till, [item])
        except DomainError as error:
            raise DomainError(
                say("Line %(number)s: %(message)s", number=number, message=error.message)
            ) from None
    return {method: grouped[method] for method in PaymentMethod if method in grouped}


def _signed(session: Session, lines: list[SignedCopies]) -> dict[int, int]:
    """Copies signed by edition (an edition on two lines counts once, added up)."""
    _count(lines)
    signed: dict[int, int] = defaultdict(int)
    for number, line in enumerate(lines, 1):
        edition = session.get(Edition, line.edition_id)
        if edition is None:
            raise DomainError(
                say(
                    "Line %(number)s: there is no edition %(id)s.",
                    number=number,
                    id=line.edition_id,
                )
            )
        check_quantity(
            line.qty, say("Line %(number)s, %(edition)s", number=number, edition=edition.label)
        )
        signed[edition.id] += line.qty
    _check_totals(session, {(e, Condition.UNSIGNED.value): q for e, q in signed.items()})
    return dict(signed)


def _check_totals(session: Session, wanted: Wanted) -> None:
    """An edition typed on several lines still moves at most a million copies at once."""
    for (edition_id, _condition), qty in wanted.items():
        if qty > MAX_QTY:
            edition = session.get_one(Edition, edition_id)
            check_quantity(qty, say("%(edition)s, all lines together", edition=edition.label))


def _signed_before_close(event: Event, at: datetime) -> None:
    assert event.closed_at is not None
    if at > event.closed_at:
        raise DomainError(
            say(
                "%(event)s closed on %(closed)s: its copies were back in the store after that. "
                "Date the signing when the event was open, or reopen the event first.",
                event=event.name,
                closed=moment(event.closed_at),
            )
        )


def _held_then(
    session: Session, place: Location, event: Event | None, wanted: Wanted, at: datetime
) -> None:
    """NotThereThen unless the place held the copies when the tally says they were sold
    or signed. Dated from an event's close on, the copies are some of those its
    leftovers took back to the store (less those earlier tallies took again). Where the
    place holds the copies now, the ledger says when they came, if that was later."""
    closed_at = event.closed_at if event is not None and not event.is_open else None
    if event is not None and closed_at is not None and at >= closed_at:
        held, on = _leftovers(session, event), closed_at
    else:
        held, on = past.holdings_at(session, place.id, at), at
    for (edition_id, condition), qty in sorted(wanted.items()):
        there = held.get((edition_id, condition), 0)
        if there >= qty or (
            closed_at is None and ledger.balance(session, place.id, edition_id, condition) >= qty
        ):
            continue
        since = (
            past.enough_since(session, (place.id, edition_id, condition), at, qty, until=closed_at)
            if closed_at is None or at < closed_at
            else None
        )
        raise NotThereThen(
            location=place.label,
            edition=edition_label(session.get_one(Edition, edition_id)),
            condition=condition,
            there=max(there, 0),
            on=on,
            arrived=since[1] if since else None,
            arrived_on=since[0] if since else None,
        )


def _leftovers(session: Session, event: Event) -> Wanted:
    """What went back from the closed event's table to the store when it closed, as
    put straight by tallies since: the transfers at that moment, out less in."""
    table = event.location_id
    left: Wanted = defaultdict(int)
    for source, edition_id, condition, qty in session.execute(
        select(Move.from_location_id, Move.edition_id, Move.from_condition, Move.qty).where(
            (Move.from_location_id == table) | (Move.to_location_id == table),
            Move.occurred_at == event.closed_at,
            Move.kind == MoveKind.TRANSFER,
        )
    ):
        left[(edition_id, condition)] += qty if source == table else -qty
    return left


def _leftovers_store(session: Session, event: Event) -> Location:
    """The store the event's leftovers went back to when it closed."""
    store_id = session.scalar(
        select(Move.to_location_id)
        .where(
            Move.from_location_id == event.location_id,
            Move.occurred_at == event.closed_at,
            Move.kind == MoveKind.TRANSFER,
        )
        .limit(1)
    )
    store = session.get(Location, store_id) if store_id is not None else None
    return store or store_of(event.section)


def _post_back(
    session: Session,
    actor: Actor | None,
    document: Document,
    event: Event,
    copies: Wanted,
    *,
    to_table: bool,
) -> None:
    """Put the leftovers of a closed event straight, dated when they went back: copies
    from the store to the table (``to_table``) or from the table to the store."""
    assert event.closed_at is not None
    store = _leftovers_store(session, event)
    table = event.location_id
    ledger.post(
        session,
        document,
        [
            MoveLine(
                MoveKind.TRANSFER,
                edition_id,
                qty,
                store.id if to_table else table,
                table if to_table else store.id,
                condition,
                note=f"Leftovers of {event.name} put straight by paper tally #{document.id}",
            )
            for (edition_id, condition), qty in sorted(copies.items())
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=event.closed_at,
        closed_ok=(table,),
    )
