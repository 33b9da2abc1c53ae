"""Sales at an event's table or a section's store, their voids, and the undo of the
sale screen. A sale is a document with its lines and a move per line to the section's
customers; a void reverses those moves, never deletes them. Each place's tally (sales,
copies, takings by payment) is kept in the same transaction as its sales and voids.

Sales a program sends (the sale screen's outbox; ``sell_sent``) come in batches, each
with its key: each stands alone, and the same sale sent again lands on the first. Their
errors name the value they are about as the program sent it (``about``): ``made_at``,
``payment``, ``tendered``, ``buyer``, ``key``, ``lines[i].edition``, ``.condition``,
``.qty``, ``.price``."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from tracker import ledger
from tracker.db import dialect_insert, table_of, utcnow
from tracker.domain.accounts import Actor, actor_id, require_section
from tracker.domain.errors import DomainError, NotFound, about
from tracker.domain.events import UNDO_MINUTES, PaymentMethod, undo_until
from tracker.domain.money import (
    MAX_PRICE_MINOR,
    check_currency,
    format_money,
    from_minor,
    to_minor,
)
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition, MoveKind, check_quantity
from tracker.domain.text import clean
from tracker.ledger import MoveLine
from tracker.models import (
    Document,
    Edition,
    Event,
    Location,
    Move,
    Sale,
    SaleLine,
    SaleTally,
    Section,
)
from tracker.queries.prices import price_for
from tracker.services import atomic, change_once, documents
from tracker.services.events import may_run
from tracker.services.places import store_of

_tallies = table_of(SaleTally)


class AlreadyVoided(DomainError):
    status_code = 409


class AlreadyUndone(DomainError):
    status_code = 409


class EventClosed(DomainError):
    """The event of the table is closed: no sale there until it is reopened."""

    status_code = 409


@dataclass(frozen=True)
class SaleItem:
    edition_id: int
    qty: int
    condition: str = Condition.UNSIGNED
    # What the reader pays for one copy; None: the section's price for the edition.
    unit_price: Decimal | str | None = None


def get_sale(session: Session, actor: Actor | None, sale_id: int) -> Sale:
    sale = session.get(Sale, sale_id)
    if sale is None:
        raise NotFound(f"There is no sale {sale_id}.")
    require_section(actor, sale.section_id, f"sale {sale_id}")
    return sale


def selling_place(
    session: Session, actor: Actor | None, location_id: int, *, closed_ok: bool = False
) -> tuple[Location, Event | None]:
    """A store or an open event's table of a section the actor may sell for (or, with
    ``closed_ok``, a closed event's table: a paper tally typed in after the event)."""
    place = session.get(Location, location_id)
    if (
        place is None
        or place.section_id is None
        or place.kind not in (LocationKind.SECTION_STORE, LocationKind.EVENT_TABLE)
    ):
        raise NotFound(f"There is no store or event table {location_id} to sell from.")
    require_section(actor, place.section_id, f"place {location_id}")
    if place.kind == LocationKind.SECTION_STORE:
        return place, None  # a store holds no event
    event = session.scalar(select(Event).where(Event.location_id == place.id))
    if event is not None and not event.is_open and not closed_ok:
        raise EventClosed(f"{event.name} is closed: reopen it to sell there.")
    return place, event


def payment(method: str) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        raise DomainError(
            "Choose how the reader paid: cash, card, bank transfer or other."
        ) from None


def _price(session: Session, section: Section, edition: Edition, typed: object) -> int:
    """What the reader pays for one copy: as typed, else the section's price."""
    if typed is None or str(typed).strip() == "":
        price = price_for(session, section, edition)
        if price is None:
            raise DomainError(
                f"{edition.label} has no price in {section.currency} yet: type the price, "
                "or set it on the section's prices page."
            )
        return price
    price = to_minor(typed, section.currency, limit=MAX_PRICE_MINOR, what="A price per copy")
    if price < 0:
        raise DomainError("The price cannot be negative.")
    return price


def sale_lines(session: Session, section: Section, items: list[SaleItem]) -> list[SaleLine]:
    """A sale's lines, each checked: the edition, the copies, the condition, the price."""
    if not items:
        with about("lines"):
            raise DomainError("Choose what was sold.")
    lines = []
    for index, item in enumerate(items):
        with about(f"lines[{index}]"):
            lines.append(_sale_line(session, section, item))
    return lines


def _sale_line(session: Session, section: Section, item: SaleItem) -> SaleLine:
    with about("edition"):
        edition = session.get(Edition, item.edition_id, options=[joinedload(Edition.title)])
        if edition is None:
            raise DomainError(f"There is no edition {item.edition_id}.")
    with about("qty"):
        check_quantity(item.qty, edition.label)
    with about("condition"):
        if item.condition not in (Condition.UNSIGNED, Condition.SIGNED):
            raise DomainError(f"{item.condition!r} is not a condition (unsigned or signed).")
    with about("price"):
        price = _price(session, section, edition, item.unit_price)
    return SaleLine(
        edition=edition,
        condition=str(Condition(item.condition)),
        qty=item.qty,
        unit_price_minor=price,
    )


def _tendered(
    tendered: object, method: PaymentMethod, lines: list[SaleLine], currency: str
) -> int | None:
    """The cash the reader handed over, in minor units (None: not noted): a cash sale's
    only, and at least what the sale comes to."""
    if tendered is None or str(tendered).strip() == "":
        return None
    if method != PaymentMethod.CASH:
        raise DomainError(
            f"Cash handed over goes with a cash sale, not with one paid by {method.label}."
        )
    handed = to_minor(tendered, currency, what="The cash handed over")
    total = sum(line.qty * line.unit_price_minor for line in lines)
    if handed < total:
        raise DomainError(
            f"{format_money(handed, currency)} handed over is less than the "
            f"{format_money(total, currency)} to pay."
        )
    return handed


@atomic
def sell(
    session: Session,
    actor: Actor | None,
    *,
    location_id: int,
    items: list[SaleItem],
    payment_method: str,
    buyer_name: str | None = None,
    currency: str | None = None,
    key: str | None = None,
    when: date | datetime | None = None,
    tendered: object = None,
    digest: str | None = None,
) -> Sale:
    """Copies from a store or an event's table to readers: one posting, all or none.

    ``tendered``: the cash the reader handed over (a cash sale's), at least the total;
    the sale keeps it, and its change. ``digest``: what a program sent with ``key``
    (``documents.digest_of``): the key sent again with something else is refused."""
    may_run(actor)
    # The document first: a sale sent twice finds its key taken before anything else is
    # checked or counted (and whatever fails after it rolls it back with the rest).
    at = _moment(session, when, key, digest)
    document = documents.start(session, actor, "sale", key=key, occurred_at=at, digest=digest)
    place, event = selling_place(session, actor, location_id)
    section = place.section
    assert section is not None
    if currency is not None and check_currency(currency) != section.currency:
        raise DomainError(f"Sales of {section.name} are in {section.currency}, not {currency}.")
    with about("payment"):
        method = payment(payment_method)
    with about("buyer"):
        clean(buyer_name, "buyer's name", 200)
    lines = sale_lines(session, section, items)
    with about("tendered"):
        tendered_minor = _tendered(tendered, method, lines, section.currency)
    return record_sale(
        session,
        actor,
        document,
        place,
        event,
        method=method,
        lines=lines,
        buyer_name=buyer_name,
        at=at,
        tendered_minor=tendered_minor,
    )


def _moment(
    session: Session, when: date | datetime | None, key: str | None, digest: str | None
) -> datetime:
    """When the sale happened (``documents.occurred_at``). A sale sent again whose date
    the tracker no longer takes (the backdating limit passed since) still lands on the
    first one."""
    try:
        with about("made_at"):
            return documents.occurred_at(session, when)
    except DomainError:
        documents.check_key(session, key, digest, "sale")
        raise


def record_sale(
    session: Session,
    actor: Actor | None,
    document: Document,
    place: Location,
    event: Event | None,
    *,
    method: PaymentMethod,
    lines: list[SaleLine],
    at: datetime,
    buyer_name: str | None = None,
    tally_id: int | None = None,
    closed_ok: bool = False,
    tendered_minor: int | None = None,
) -> Sale:
    """Write a sale for its document (started, its place checked), post its moves to the
    section's customers dated ``at``, and count it in the place's tally: what a sale on
    the screen and a paper tally share. ``closed_ok``: the place is a closed event's
    table, where a paper tally typed in after the event says copies were sold."""
    section = place.section
    assert section is not None
    sale = Sale(
        document_id=document.id,
        section_id=section.id,
        location_id=place.id,
        event_id=event.id if event else None,
        payment_method=method.value,
        buyer_name=clean(buyer_name, "buyer's name", 200),
        currency=section.currency,
        sold_at=at,
        tally_id=tally_id,
        lines=lines,
        tendered_minor=tendered_minor,
    )
    session.add(sale)
    session.flush()
    customers = section.location_of_kind(LocationKind.CUSTOMERS)
    ledger.post(
        session,
        document,
        [
            MoveLine(
                MoveKind.SALE, line.edition_id, line.qty, place.id, customers.id, line.condition
            )
            for line in sale.lines
        ],
        created_by_id=actor_id(actor),
        savepoint=False,
        occurred_at=at,
        details={"sale": _details(sale)},
        closed_ok=(place.id,) if closed_ok else (),
    )
    _count_in_tally(session, sale, 1)
    return sale


def _details(sale: Sale) -> dict:
    """What the sale's audit entry says of it."""
    return {
        "payment": sale.payment_method,
        "buyer": sale.buyer_name,
        "currency": sale.currency,
        "lines": [
            {
                "edition": line.edition_id,
                "condition": line.condition,
                "qty": line.qty,
                "price": str(from_minor(line.unit_price_minor, sale.currency)),
            }
            for line in sale.lines
        ],
    }


def _count_in_tally(session: Session, sale: Sale, sign: int) -> None:
    """Add a sale to its place's tally (sign +1), or take a voided one out (-1)."""
    if sign > 0:
        session.execute(
            _tally_upsert(session.get_bind().dialect.name),
            {
                "location_id": sale.location_id,
                "payment_method": sale.payment_method,
                "sales": 1,
                "copies": sale.copies,
                "amount_minor": sale.total_minor,
            },
        )
    else:
        session.execute(
            _TALLY_TAKE,
            {
                "place": sale.location_id,
                "method": sale.payment_method,
                "n_copies": sale.copies,
                "amount": sale.total_minor,
            },
        )


# A voided sale was counted in: its row is there.
_TALLY_TAKE = (
    update(_tallies)
    .where(
        _tallies.c.location_id == bindparam("place"),
        _tallies.c.payment_method == bindparam("method"),
    )
    .values(
        sales=_tallies.c.sales - 1,
        copies=_tallies.c.copies - bindparam("n_copies"),
        amount_minor=_tallies.c.amount_minor - bindparam("amount"),
    )
)


@functools.cache
def _tally_upsert(dialect: str):
    statement = dialect_insert(dialect, _tallies)
    columns = _tallies.c
    return statement.on_conflict_do_update(
        index_elements=[columns.location_id, columns.payment_method],
        set_={
            "sales": columns.sales + statement.excluded.sales,
            "copies": columns.copies + statement.excluded.copies,
            "amount_minor": columns.amount_minor + statement.excluded.amount_minor,
        },
    )


@atomic
def void_sale(
    session: Session,
    actor: Actor | None,
    sale_id: int,
    reason: str | None,
    *,
    when: date | datetime | None = None,
) -> Sale:
    """Undo a sale with reversing moves (never a deletion): the copies go back, dated
    when it was undone (never before the sale)."""
    may_run(actor)
    sale = get_sale(session, actor, sale_id)
    at = documents.occurred_at(session, when)
    if at < sale.sold_at:
        raise DomainError(
            f"Sale #{sale.id} was made on {sale.sold_at:%d %b %Y %H:%M}: it cannot have been "
            "voided before that."
        )
    reason = clean(reason, "reason", 500, multiline=True)
    if not reason:
        raise DomainError("Say why the sale is voided.")
    voided = change_once(
        session,
        sale,
        Sale.voided_at.is_(None),
        {"voided_at": at, "void_reason": reason, "voided_by_id": actor_id(actor)},
        "voided",
        audited=False,  # the reversal's audit entry says it, with the moves
    )
    if not voided:
        raise AlreadyVoided(f"Sale #{sale.id} was already voided.")
    moves = session.scalars(select(Move.id).where(Move.document_id == sale.id)).all()
    document = documents.start(
        session, actor, "void", note=f"Void of sale #{sale.id}: {reason}", occurred_at=at
    )
    back_to = void_returns_to(sale)
    ledger.reverse(
        session,
        list(moves),
        document,
        created_by_id=actor_id(actor),
        occurred_at=at,
        note=reason,
        details={"void": {"sale": sale.id, "reason": reason, "back_to": back_to.code}},
        back_to=None if back_to.id == sale.location_id else back_to,
    )
    sale.void_document_id = document.id
    session.flush()
    _count_in_tally(session, sale, -1)
    return sale


def void_returns_to(sale: Sale) -> Location:
    """Where a voided sale's copies go: back where they were sold, or, when that was the
    table of an event closed since, to the store its leftovers went back to."""
    if sale.location.active:
        return sale.location
    return store_of(sale.section)


def undo_sale(session: Session, actor: Actor | None, location_id: int, sale_id: int | None) -> Sale:
    """Undo the sale the screen showed as the last one (its id comes with the request,
    so that a second tap, or the same request sent twice, never undoes another sale),
    within ``UNDO_MINUTES`` of its recording: later, a sale is voided with a reason."""
    selling_place(session, actor, location_id)
    if sale_id is None:
        raise DomainError("Say which sale to undo: reload the sale screen and try again.")
    sale = session.get(Sale, sale_id)
    if (
        sale is None
        or sale.location_id != location_id
        or (actor is not None and sale.document.created_by_id != actor_id(actor))
    ):
        raise DomainError(f"There is no sale #{sale_id} of yours here to undo.")
    if sale.voided_at is not None:
        raise AlreadyUndone(f"Sale #{sale.id} was already undone.")
    if utcnow() > undo_until(sale.document.created_at):
        raise DomainError(
            f"Sale #{sale.id} was recorded more than {UNDO_MINUTES} minutes ago: it can no "
            "longer be undone here. Void it instead, saying why, from its Void page."
        )
    try:
        return void_sale(session, actor, sale.id, "Undone at the table")
    except AlreadyVoided:
        raise AlreadyUndone(f"Sale #{sale.id} was already undone.") from None


# -- sales a program sends ---------------------------------------------------------------------


@dataclass(frozen=True)
class SentSale:
    """A sale as a program sent it: its key (a UUID the phone made), the content it
    sent with the key (any JSON-like value: its digest is kept with the sale), what
    was sold, how it was paid, and when it was made (None: now)."""

    key: object
    content: object
    items: list[SaleItem]
    payment_method: str
    made_at: datetime | None = None
    tendered: object = None
    buyer_name: str | None = None


@dataclass(frozen=True)
class SentResult:
    """What became of a sale sent: recorded now (``recorded``), recorded before (a
    ``sale``, not ``recorded``), or refused (``error``, and nothing written)."""

    sale: Sale | None = None
    recorded: bool = False
    error: DomainError | None = None


def sell_sent(
    session: Session, actor: Actor | None, location_id: int, sent: Sequence[SentSale]
) -> tuple[Location, list[SentResult]]:
    """Sales a program sends at one go to one place: the place, and what became of each
    sale, in the order sent. They are recorded oldest first (by when they were made),
    each standing alone (``sell``: a savepoint of its own): a sale refused writes
    nothing and leaves the others be. The same key sent again with the same content
    lands on the first sale; with other content it is refused (``KeyReused``).

    Only the place is checked for the whole batch (NotFound: no such store or table
    of the actor's sections); a closed event's table refuses each sale."""
    may_run(actor)
    place, _event = selling_place(session, actor, location_id, closed_ok=True)
    now = utcnow()
    results: dict[int, SentResult] = {}
    for index in sorted(range(len(sent)), key=lambda i: _made(sent[i].made_at, now)):
        results[index] = _sell_sent(session, actor, place.id, sent[index])
    return place, [results[index] for index in range(len(sent))]


def _made(made_at: datetime | None, now: datetime) -> datetime:
    if made_at is None:
        return now
    return made_at if made_at.tzinfo else made_at.replace(tzinfo=UTC)


def _sell_sent(session: Session, actor: Actor | None, location_id: int, sent: SentSale):
    try:
        with about("key"):
            key = documents.program_key(sent.key)
        # The place is part of what was asked: the same sale sent to another place is
        # another sale.
        digest = documents.digest_of({"place": location_id, "sale": sent.content})
        sale = sell(
            session,
            actor,
            location_id=location_id,
            items=sent.items,
            payment_method=sent.payment_method,
            buyer_name=sent.buyer_name,
            key=key,
            when=sent.made_at,
            tendered=sent.tendered,
            digest=digest,
        )
    except documents.AlreadySubmitted as earlier:
        first = session.get(Sale, earlier.document_id)
        if first is None:  # the key's document is no sale
            return SentResult(error=documents.KeyReused(earlier.document_id, "sale"))
        return SentResult(first)
    except DomainError as error:
        return SentResult(error=error)
    return SentResult(sale, recorded=True)
