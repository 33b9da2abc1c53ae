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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from tracker import ledger
from tracker.db import dialect_insert, insert_rows, table_of, utcnow
from tracker.domain.accounts import Actor, actor_id, require_section
from tracker.domain.errors import DomainError, NotFound, about
from tracker.domain.events import UNDO_MINUTES, PaymentMethod, SaleSums, undo_until
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
from tracker.domain.words import moment, say
from tracker.ledger import MoveLine
from tracker.models import (
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


@dataclass(frozen=True)
class SoldLine:
    """A line of a sale, checked: copies of an edition in a condition, at a price each."""

    edition: Edition
    condition: str
    qty: int
    unit_price_minor: int

    @property
    def edition_id(self) -> int:
        return self.edition.id


@dataclass(frozen=True)
class NewSale:
    """A sale checked and ready to write (``record_sales``)."""

    at: datetime
    method: PaymentMethod
    lines: list[SoldLine]
    key: str | None = None
    digest: str | None = None
    tendered_minor: int | None = None
    buyer_name: str | None = None
    tally_id: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class SoldSale(SaleSums):
    """A sale as it was just written (what a sale read back from the database says)."""

    id: int
    sold_at: datetime
    created_at: datetime
    currency: str
    payment_method: str
    lines: Sequence[SoldLine]
    tendered_minor: int | None
    buyer_name: str | None
    voided_at: None = None


@dataclass
class Till:
    """A store or an event's table to sell at, with what every sale there needs: read
    once for all the sales sent to it at one go."""

    place: Location
    event: Event | None
    section: Section
    customers: Location
    # The section's price of each edition asked about (None: it has none).
    prices: dict[int, int | None] = field(default_factory=dict)
    # Prices as typed -> minor units (the sales of a file type the same few prices).
    typed_prices: dict[str, int] = field(default_factory=dict)
    editions: dict[object, Edition | None] = field(default_factory=dict)

    def edition(self, session: Session, edition_id: object) -> Edition | None:
        """An edition sold here (None: there is none), read once."""
        if edition_id not in self.editions:
            found = None
            if isinstance(edition_id, int) and not isinstance(edition_id, bool):
                found = session.scalar(_EDITION, {"id": edition_id})
            self.editions[edition_id] = found
        return self.editions[edition_id]

    def refuse_closed(self) -> None:
        if self.event is not None and not self.event.is_open:
            raise EventClosed(
                say("%(event)s is closed: reopen it to sell there.", event=self.event.name)
            )


def get_sale(session: Session, actor: Actor | None, sale_id: int) -> Sale:
    sale = session.get(Sale, sale_id)
    if sale is None:
        raise NotFound(say("There is no sale %(id)s.", id=sale_id))
    require_section(actor, sale.section_id, say("There is no sale %(id)s.", id=sale_id))
    return sale


def selling_place(
    session: Session, actor: Actor | None, location_id: int, *, closed_ok: bool = False
) -> tuple[Location, Event | None]:
    """A store or an open event's table of a section the actor may sell for (or, with
    ``closed_ok``, a closed event's table: a paper tally typed in after the event)."""
    place = till(session, actor, location_id, closed_ok=closed_ok)
    return place.place, place.event


# Read at every sale: built once (building a statement costs more than running it).
_TILL = (
    select(Location)
    .options(joinedload(Location.section))
    .where(
        (Location.id == bindparam("place"))
        | (
            (
                Location.section_id
                == select(Location.section_id)
                .where(Location.id == bindparam("place"))
                .scalar_subquery()
            )
            & (Location.kind == LocationKind.CUSTOMERS)
        )
    )
)
_EVENT_AT = select(Event).where(Event.location_id == bindparam("place"))
_EDITION = select(Edition).options(joinedload(Edition.title)).where(Edition.id == bindparam("id"))


def till(
    session: Session, actor: Actor | None, location_id: int, *, closed_ok: bool = False
) -> Till:
    """``selling_place``, with its section and the section's customers: the place and
    the customers in one query (every sale reads them)."""
    found = {location.id: location for location in session.scalars(_TILL, {"place": location_id})}
    place = found.get(location_id)
    if (
        place is None
        or place.section is None
        or place.kind not in (LocationKind.SECTION_STORE, LocationKind.EVENT_TABLE)
    ):
        raise NotFound(say("There is no store or event table %(id)s to sell from.", id=location_id))
    require_section(actor, place.section.id, say("There is no place %(id)s.", id=location_id))
    (customers,) = (p for p in found.values() if p.kind == LocationKind.CUSTOMERS)
    event = None
    if place.kind == LocationKind.EVENT_TABLE:  # a store holds no event
        event = session.scalar(_EVENT_AT, {"place": place.id})
    sale_place = Till(place, event, place.section, customers)
    if not closed_ok:
        sale_place.refuse_closed()
    return sale_place


def payment(method: str) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        raise DomainError(
            say("Choose how the reader paid: cash, card, bank transfer or other.")
        ) from None


def _price(session: Session, till: Till, edition: Edition, typed: object) -> int:
    """What the reader pays for one copy: as typed, else the section's price."""
    section = till.section
    if typed is None or str(typed).strip() == "":
        if edition.id not in till.prices:
            till.prices[edition.id] = price_for(session, section, edition)
        price = till.prices[edition.id]
        if price is None:
            raise DomainError(
                say(
                    "%(edition)s has no price in %(currency)s yet: type the price, or set it "
                    "on the section's prices page.",
                    edition=edition.label,
                    currency=section.currency,
                )
            )
        return price
    if isinstance(typed, str) and typed in till.typed_prices:
        return till.typed_prices[typed]
    price = to_minor(typed, section.currency, limit=MAX_PRICE_MINOR, what=say("a price per copy"))
    if price < 0:
        raise DomainError(say("The price cannot be negative."))
    if isinstance(typed, str):
        till.typed_prices[typed] = price
    return price


def sale_lines(session: Session, till: Till, items: list[SaleItem]) -> list[SoldLine]:
    """A sale's lines, each checked: the edition, the copies, the condition, the price."""
    if not items:
        with about("lines"):
            raise DomainError(say("Choose what was sold."))
    lines = []
    for index, item in enumerate(items):
        with about(f"lines[{index}]"):
            lines.append(_sale_line(session, till, item))
    return lines


def _sale_line(session: Session, till: Till, item: SaleItem) -> SoldLine:
    with about("edition"):
        edition = till.edition(session, item.edition_id)
        if edition is None:
            raise DomainError(say("There is no edition %(id)s.", id=item.edition_id))
    with about("qty"):
        check_quantity(item.qty, lambda: edition.label)
    with about("condition"):
        if item.condition not in (Condition.UNSIGNED, Condition.SIGNED):
            raise DomainError(
                say(
                    "%(value)s is not a condition (unsigned or signed).",
                    value=repr(item.condition),
                )
            )
    with about("price"):
        price = _price(session, till, edition, item.unit_price)
    return SoldLine(edition, str(Condition(item.condition)), item.qty, price)


def _tendered(
    tendered: object, method: PaymentMethod, lines: list[SoldLine], currency: str
) -> int | None:
    """The cash the reader handed over, in minor units (None: not noted): a cash sale's
    only, and at least what the sale comes to."""
    if tendered is None or str(tendered).strip() == "":
        return None
    if method != PaymentMethod.CASH:
        raise DomainError(
            say(
                "Cash handed over goes with a cash sale, not with one paid by %(method)s.",
                method=method.label,
            )
        )
    handed = to_minor(tendered, currency, what=say("the cash handed over"))
    total = sum(line.qty * line.unit_price_minor for line in lines)
    if handed < total:
        raise DomainError(
            say(
                "%(handed)s handed over is less than the %(total)s to pay.",
                handed=format_money(handed, currency),
                total=format_money(total, currency),
            )
        )
    return handed


def new_sale(
    session: Session,
    till: Till,
    *,
    at: datetime,
    items: list[SaleItem],
    payment_method: str,
    buyer_name: str | None = None,
    currency: str | None = None,
    tendered: object = None,
    key: str | None = None,
    digest: str | None = None,
    note: str | None = None,
) -> NewSale:
    """A sale at ``till`` checked, each value named when it is wrong (``about``), ready
    to write: the rules of every sale, from the screen, a program, a form or a file
    (``note``: its document's, such as the file it came from)."""
    till.refuse_closed()
    section = till.section
    if currency is not None and check_currency(currency) != section.currency:
        raise DomainError(
            say(
                "Sales of %(section)s are in %(currency)s, not %(sent)s.",
                section=section.name,
                currency=section.currency,
                sent=currency,
            )
        )
    with about("payment"):
        method = payment(payment_method)
    with about("buyer"):
        buyer = clean(buyer_name, say("the buyer's name"), 200)
    lines = sale_lines(session, till, items)
    with about("tendered"):
        tendered_minor = _tendered(tendered, method, lines, section.currency)
    return NewSale(
        at,
        method,
        lines,
        key=key,
        digest=digest,
        tendered_minor=tendered_minor,
        buyer_name=buyer,
        note=note,
    )


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
    # The key first: a sale sent twice finds its key taken before anything else is
    # checked or counted.
    at = _moment(session, when, key, digest)
    documents.check_key(session, key, digest, "sale")
    place = till(session, actor, location_id)
    sale = new_sale(
        session,
        place,
        at=at,
        items=items,
        payment_method=payment_method,
        buyer_name=buyer_name,
        currency=currency,
        tendered=tendered,
        key=key,
        digest=digest,
    )
    (sold,) = record_sales(session, actor, place, [sale])
    return session.get_one(Sale, sold.id)


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


_sales = table_of(Sale)
_sale_lines = table_of(SaleLine)


def record_sales(
    session: Session,
    actor: Actor | None,
    till: Till,
    sales: list[NewSale],
    *,
    closed_ok: bool = False,
    at_once: bool = False,
    audited: bool = True,
) -> list[SoldSale]:
    """Write sales checked at ``till`` (``new_sale``): their documents, their rows, their
    moves to the section's customers, each dated when it happened, and the place's tally;
    with a statement per table for them all. All or none, in the caller's savepoint:
    a sale that cannot be made (copies short, a key taken meanwhile) refuses them all,
    and several that cannot all go at once raise ``ledger.PostApart`` (then write each
    alone to learn which). ``closed_ok``: the place is a closed event's table, where a
    paper tally typed in after the event says copies were sold. ``at_once``: they go
    in together or not at all (an imported file: ``ledger.post_together``).
    ``audited=False``: no audit entry per sale; the caller records them in one entry
    of its own (an imported file's sales, one entry per place)."""
    now = utcnow()
    created_by = actor_id(actor)
    section, place = till.section, till.place
    connection = session.connection()
    ids = documents.write(
        session,
        [
            {
                "kind": "sale",
                "reference": None,
                "note": sale.note,
                "created_by_id": created_by,
                "occurred_at": sale.at,
                "created_at": now,
                "submission_key": sale.key,
                "submission_digest": sale.digest,
            }
            for sale in sales
        ],
    )
    insert_rows(
        connection,
        _sales,
        [
            {
                "document_id": document_id,
                "section_id": section.id,
                "event_id": till.event.id if till.event else None,
                "location_id": place.id,
                "payment_method": sale.method.value,
                "buyer_name": sale.buyer_name,
                "currency": section.currency,
                "sold_at": sale.at,
                "tally_id": sale.tally_id,
                "tendered_minor": sale.tendered_minor,
            }
            for document_id, sale in zip(ids, sales, strict=True)
        ],
    )
    insert_rows(
        connection,
        _sale_lines,
        [
            {
                "sale_id": document_id,
                "edition_id": line.edition.id,
                "condition": line.condition,
                "qty": line.qty,
                "unit_price_minor": line.unit_price_minor,
            }
            for document_id, sale in zip(ids, sales, strict=True)
            for line in sale.lines
        ],
    )
    ledger.post_together(
        session,
        [
            ledger.Posting(
                ledger.Written(document_id, "sale", note=sale.note),
                [
                    MoveLine(
                        MoveKind.SALE,
                        line.edition.id,
                        line.qty,
                        place.id,
                        till.customers.id,
                        line.condition,
                    )
                    for line in sale.lines
                ],
                sale.at,
                created_by_id=created_by,
                details={"sale": _details(sale, section.currency)} if audited else None,
            )
            for document_id, sale in zip(ids, sales, strict=True)
        ],
        closed_ok=(place.id,) if closed_ok else (),
        at_once=at_once,
        audited=audited,
    )
    sold = [
        SoldSale(
            id=document_id,
            sold_at=sale.at,
            created_at=now,
            currency=section.currency,
            payment_method=sale.method.value,
            lines=sale.lines,
            tendered_minor=sale.tendered_minor,
            buyer_name=sale.buyer_name,
        )
        for document_id, sale in zip(ids, sales, strict=True)
    ]
    _count_in_tally(session, place.id, sold, 1)
    return sold


def _details(sale: NewSale, currency: str) -> dict:
    """What the sale's audit entry says of it."""
    return {
        "payment": sale.method.value,
        "buyer": sale.buyer_name,
        "currency": currency,
        "lines": [
            {
                "edition": line.edition.id,
                "condition": line.condition,
                "qty": line.qty,
                "price": str(from_minor(line.unit_price_minor, currency)),
            }
            for line in sale.lines
        ],
    }


def _count_in_tally(
    session: Session, location_id: int, sales: Sequence[SaleSums], sign: int
) -> None:
    """Add sales to their place's tally (sign +1), or take voided ones out (-1)."""
    by_method: dict[str, list[int]] = {}
    for sale in sales:
        count = by_method.setdefault(sale.payment_method, [0, 0, 0])
        count[0] += 1
        count[1] += sale.copies
        count[2] += sale.total_minor
    connection = session.connection()
    if sign > 0:
        connection.execute(
            _tally_upsert(connection.dialect.name),
            [
                {
                    "location_id": location_id,
                    "payment_method": method,
                    "sales": n,
                    "copies": copies,
                    "amount_minor": amount,
                }
                for method, (n, copies, amount) in sorted(by_method.items())
            ],
        )
    else:
        connection.execute(
            _TALLY_TAKE,
            [
                {
                    "place": location_id,
                    "method": method,
                    "n_sales": n,
                    "n_copies": copies,
                    "amount": amount,
                }
                for method, (n, copies, amount) in sorted(by_method.items())
            ],
        )


# A voided sale was counted in: its row is there.
_TALLY_TAKE = (
    update(_tallies)
    .where(
        _tallies.c.location_id == bindparam("place"),
        _tallies.c.payment_method == bindparam("method"),
    )
    .values(
        sales=_tallies.c.sales - bindparam("n_sales"),
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
            say(
                "Sale #%(id)s was made on %(made)s: it cannot have been voided before that.",
                id=sale.id,
                made=moment(sale.sold_at),
            )
        )
    reason = clean(reason, say("the reason"), 500, multiline=True)
    if not reason:
        raise DomainError(say("Say why the sale is voided."))
    voided = change_once(
        session,
        sale,
        Sale.voided_at.is_(None),
        {"voided_at": at, "void_reason": reason, "voided_by_id": actor_id(actor)},
        "voided",
        audited=False,  # the reversal's audit entry says it, with the moves
    )
    if not voided:
        raise AlreadyVoided(say("Sale #%(id)s was already voided.", id=sale.id))
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
    _count_in_tally(session, sale.location_id, [sale], -1)
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
        raise DomainError(say("Say which sale to undo: reload the sale screen and try again."))
    sale = session.get(Sale, sale_id)
    if (
        sale is None
        or sale.location_id != location_id
        or (actor is not None and sale.document.created_by_id != actor_id(actor))
    ):
        raise DomainError(say("There is no sale #%(id)s of yours here to undo.", id=sale_id))
    if sale.voided_at is not None:
        raise AlreadyUndone(say("Sale #%(id)s was already undone.", id=sale.id))
    if utcnow() > undo_until(sale.document.created_at):
        raise DomainError(
            say(
                "Sale #%(id)s was recorded more than %(minutes)s minutes ago: it can no longer "
                "be undone here. Void it instead, saying why, from its Void page.",
                id=sale.id,
                minutes=UNDO_MINUTES,
            )
        )
    try:
        return void_sale(session, actor, sale.id, "Undone at the table")
    except AlreadyVoided:
        raise AlreadyUndone(say("Sale #%(id)s was already undone.", id=sale.id)) from None


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

    sale: Sale | SoldSale | None = None
    recorded: bool = False
    error: DomainError | None = None


def sell_sent(
    session: Session, actor: Actor | None, location_id: int, sent: Sequence[SentSale]
) -> tuple[Location, list[SentResult]]:
    """Sales a program sends at one go to one place: the place, and what became of each
    sale, in the order sent. They are recorded oldest first (by when they were made),
    each standing alone: a sale refused writes nothing and leaves the others be. The
    same key sent again with the same content lands on the first sale; with other
    content it is refused (``KeyReused``).

    They are written together when they can all go (``record_sales``), else each alone.
    A key sent twice in one batch: its second sale waits for the first to be written,
    then lands on it (or is refused as another sale).

    Only the place is checked for the whole batch (NotFound: no such store or table
    of the actor's sections); a closed event's table refuses each sale."""
    may_run(actor)
    place = till(session, actor, location_id, closed_ok=True)
    now = utcnow()
    results: dict[int, SentResult] = {}
    keys: dict[int, str] = {}
    for index, sale in enumerate(sent):
        try:
            with about("key"):
                keys[index] = documents.program_key(sale.key)
        except DomainError as error:
            results[index] = SentResult(error=error)
    waiting = sorted(keys, key=lambda i: _made(sent[i].made_at, now))
    while waiting:
        seen: set[str] = set()
        first: list[int] = []
        again: list[int] = []
        for index in waiting:
            (again if keys[index] in seen else first).append(index)
            seen.add(keys[index])
        results |= _sell_together(session, actor, place, {i: (keys[i], sent[i]) for i in first})
        waiting = again
    return place.place, [results[index] for index in range(len(sent))]


def _made(made_at: datetime | None, now: datetime) -> datetime:
    if made_at is None:
        return now
    return made_at if made_at.tzinfo else made_at.replace(tzinfo=UTC)


def _sell_together(
    session: Session, actor: Actor | None, place: Till, sent: dict[int, tuple[str, SentSale]]
) -> dict[int, SentResult]:
    """Sales sent with keys each sent once, in the order to record them."""
    results: dict[int, SentResult] = {}
    ready: dict[int, NewSale] = {}
    for index, (key, sale) in sent.items():
        # The place is part of what was asked: the same sale sent to another place is
        # another sale.
        digest = documents.digest_of({"place": place.place.id, "sale": sale.content})
        try:
            ready[index] = _checked(session, place, sale, key, digest)
        except DomainError as error:
            results[index] = SentResult(error=error)
    # A sale sent before is what it was then, whatever the rules say of it now (the
    # event closed since): the keys of the refused ones, in one query. The others'
    # are met when their documents are written.
    taken = documents.taken_keys(session, [sent[index][0] for index in results])
    for index in list(results):
        key, sale = sent[index]
        if key in taken:
            digest = documents.digest_of({"place": place.place.id, "sale": sale.content})
            results[index] = _sent_before(session, *taken[key], digest)
    if len(ready) > 1:
        try:
            with session.begin_nested():
                sold = record_sales(session, actor, place, list(ready.values()))
        except (ledger.PostApart, DomainError):
            pass  # each alone, below, to learn which cannot be made
        else:
            return results | {
                index: SentResult(sale, recorded=True)
                for index, sale in zip(ready, sold, strict=True)
            }
    return results | {
        index: _sell_alone(session, actor, place, new) for index, new in ready.items()
    }


def _checked(session: Session, place: Till, sale: SentSale, key: str, digest: str) -> NewSale:
    with about("made_at"):
        at = documents.occurred_at(session, sale.made_at)
    return new_sale(
        session,
        place,
        at=at,
        items=sale.items,
        payment_method=sale.payment_method,
        buyer_name=sale.buyer_name,
        tendered=sale.tendered,
        key=key,
        digest=digest,
    )


def _sell_alone(session: Session, actor: Actor | None, place: Till, new: NewSale) -> SentResult:
    try:
        with session.begin_nested():
            (sale,) = record_sales(session, actor, place, [new])
    except documents.AlreadySubmitted as earlier:  # sent before: the same sale
        return _sent_before(session, earlier.document_id, new.digest, new.digest)
    except documents.KeyReused as reused:  # sent before with another
        return SentResult(error=reused)
    except DomainError as error:
        return SentResult(error=error)
    return SentResult(sale, recorded=True)


def _sent_before(
    session: Session, document_id: int, kept: str | None, digest: str | None
) -> SentResult:
    """A key sent before: the sale it made, if this is that sale sent again."""
    first = session.get(Sale, document_id) if kept == digest else None
    if first is None:  # another sale, or the key's document is no sale
        return SentResult(error=documents.KeyReused(document_id, "sale"))
    return SentResult(first)
