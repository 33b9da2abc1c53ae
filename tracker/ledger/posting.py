"""The ledger of moves: the only code that writes moves and balances.

Every copy is always somewhere. A posting is a list of moves made by one business
document; ``post`` writes them and the balances they change in the caller's
transaction, all or none. Nothing here commits and nothing here knows about HTTP.

How two writers are kept from taking the same copy: every balance a posting changes is
updated with one statement, in a fixed order (location, edition, condition). Taking
stock is a conditional ``UPDATE ... SET qty = qty - n WHERE ... AND qty >= n``; when it
touches no row the stock is short, and the posting is undone back to its savepoint
before the error leaves this module. On PostgreSQL the second of two concurrent
updates waits for the first and re-checks ``qty >= n`` against the committed value; on
SQLite a transaction holds the write lock from its first statement (``tracker.db``
begins transactions IMMEDIATE). The fixed order means two postings never wait for each
other in a cycle, so they cannot deadlock. A CHECK constraint on ``balances`` is the
last guard: no location but a source ever goes below zero.
"""

from __future__ import annotations

import contextlib
import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tracker import audit
from tracker.db import UTCDateTime, dialect_insert, inserted_ids, table_of, utcnow
from tracker.domain.errors import AlreadyReversed, InsufficientStock, InvalidMove, NotFound
from tracker.domain.periods import month_of, week_of
from tracker.domain.stock import (
    Condition,
    MoveKind,
    back_to_problem,
    flows_of,
    quantity_problem,
    rule_problem,
)
from tracker.domain.words import moment, say
from tracker.ledger import past
from tracker.models import Balance, Document, Edition, Location, Move, WeeklyFlow
from tracker.models.stock import document_kind_label

_T = TypeVar("_T")


@dataclass(frozen=True)
class MoveLine:
    """One move to post: ``qty`` copies of an edition from one place to another.

    ``to_condition`` defaults to ``from_condition``: only a signing changes it.
    """

    kind: MoveKind | str
    edition_id: int
    qty: int
    from_location_id: int
    to_location_id: int
    from_condition: Condition | str = Condition.UNSIGNED
    to_condition: Condition | str | None = None
    note: str | None = None


@dataclass(frozen=True)
class _Leg:
    kind: MoveKind
    edition: Edition
    qty: int
    source: Location
    source_condition: Condition
    target: Location
    target_condition: Condition
    note: str | None
    reverses_id: int | None = None
    # For a reversal: the kind of the move it undoes (its flows are counted back).
    reverses_kind: MoveKind | None = None


def edition_label(edition: Edition) -> str:
    """An edition as a message names it: its label and its ISBN."""
    return say("%(edition)s, ISBN %(isbn)s", edition=edition.label, isbn=edition.isbn)


def post(
    session: Session,
    document: Document,
    lines: Iterable[MoveLine],
    *,
    created_by_id: int | None = None,
    occurred_at: datetime | None = None,
    details: dict | None = None,
    savepoint: bool = True,
    closed_ok: Collection[int] = (),
) -> list[int]:
    """Post ``lines`` for ``document``, all or none; return the new moves' ids.

    Raises InvalidMove when a line can never be valid and InsufficientStock when a
    location holds fewer copies than asked. Either way nothing is written: the posting
    runs in a savepoint of its own, unless the caller says (``savepoint=False``) that
    it runs the posting inside a savepoint of its own already (the services do).
    ``details`` go into the posting's audit entry (what a sale cost, for instance).
    ``closed_ok``: closed places (ids) the posting may still take from and put to: it
    records what happened there while they were open (a paper tally typed in after its
    event closed). The past must add up there as anywhere.
    """
    lines = list(lines)
    if not lines:
        raise InvalidMove(say("A posting needs at least one move."))
    legs = _resolve(session, lines, closed_ok)
    return _apply(
        session,
        document,
        legs,
        created_by_id=created_by_id,
        occurred_at=occurred_at,
        details=details,
        savepoint=savepoint,
    )


@dataclass(frozen=True)
class Written:
    """A document written already (``documents.write``: a row without an object in the
    session), as a posting names it."""

    id: int
    kind: str
    reference: str | None = None
    note: str | None = None

    @property
    def kind_label(self) -> str:
        return document_kind_label(self.kind)


@dataclass(frozen=True)
class Posting:
    """One document's moves, to post with others at one go (``post_together``). The
    document is written already: only its id, kind, reference and note are read."""

    document: Document | Written
    lines: Sequence[MoveLine]
    occurred_at: datetime
    created_by_id: int | None = None
    details: dict | None = None


class PostApart(Exception):
    """Postings made at one go could not all be made together (a place short of copies
    for all of them, or a balance that moved after the earliest of them): nothing was
    written; post each on its own to learn which can be made and why the others cannot."""


def post_together(
    session: Session,
    postings: Sequence[Posting],
    *,
    closed_ok: Collection[int] = (),
    at_once: bool = False,
    audited: bool = True,
) -> list[list[int]]:
    """Post several documents' moves at one go, in the caller's transaction (a savepoint
    of its own is the caller's to open): the new moves' ids of each, in order.

    What one document at a time would write, with a statement per table for all of
    them: the caller, such as a batch of sales sent by a phone, pays for the round trips
    once. Each balance is taken from once for all the postings, and only if it holds
    enough for all of them and has not moved since the earliest of them: the past then
    adds up as it would one by one. Otherwise PostApart says to post them one at a time
    (postings all dated the same moment are refused as one would be: InsufficientStock,
    NotThereThen); a wrong line is InvalidMove. Either way nothing is written.

    ``at_once``: the postings go in together or not at all (an imported file): a balance
    that moved after the earliest of them is checked in the past with all of them at
    their moments (``past.check_taken_all``) rather than refused with PostApart.

    ``audited=False``: no audit entry per posting; the caller records them all in one
    entry of its own (an imported file's sales: ``imports.sales``)."""
    written = []
    # What the lines name, loaded once for all of them.
    everything = [line for posting in postings for line in posting.lines]
    editions = _load(session, Edition, {line.edition_id for line in everything})
    locations = _load(session, Location, _location_ids(everything))
    for posting in postings:
        if not posting.lines:
            raise InvalidMove(say("A posting needs at least one move."))
        legs = _resolve(session, list(posting.lines), closed_ok, editions, locations)
        written.append(
            _Posting(
                posting.document,
                legs,
                posting.occurred_at,
                posting.created_by_id,
                posting.details,
            )
        )
    return _write(session, written, utcnow(), at_once=at_once, audited=audited)


def reverse(
    session: Session,
    move_ids: Sequence[int],
    document: Document,
    *,
    created_by_id: int | None = None,
    occurred_at: datetime | None = None,
    note: str | None = None,
    details: dict | None = None,
    back_to: Location | None = None,
) -> list[int]:
    """Post the opposite of each move in ``move_ids``, linked to it; return the new ids.

    A move is reversed at most once and a reversal is never itself reversed. Reversing
    takes the copies back from where the move put them, so it fails with
    InsufficientStock, like any posting, when they have moved on since. The kind rules
    do not apply (a voided sale takes its copy back from customers), nor does a closed
    location refuse it.

    ``back_to``: sales only, the copies go back to this open physical place of the same
    section rather than to where they were sold (a sale voided once its event's table
    is closed: the copies go where the table's leftovers went).
    """
    moves = _reversible(session, list(dict.fromkeys(move_ids)), back_to)
    latest = max(move.occurred_at for move in moves)
    if occurred_at is not None and occurred_at < latest:
        raise InvalidMove(
            say(
                "A correction cannot be dated before what it corrects: %(at)s is before "
                "%(latest)s.",
                at=moment(occurred_at),
                latest=moment(latest),
            )
        )
    legs = [
        _Leg(
            kind=MoveKind.REVERSAL,
            edition=move.edition,
            qty=move.qty,
            source=move.to_location,
            source_condition=Condition(move.to_condition),
            target=back_to or move.from_location,
            target_condition=Condition(move.from_condition),
            note=note,
            reverses_id=move.id,
            reverses_kind=MoveKind(move.kind),
        )
        for move in moves
    ]
    try:
        return _apply(
            session,
            document,
            legs,
            created_by_id=created_by_id,
            occurred_at=occurred_at,
            details=details,
        )

    except IntegrityError as exc:
        # Another transaction reversed one of them first: the unique reverses_id says so.
        if "reverses_id" in str(exc.orig):
            raise AlreadyReversed(say("The move was reversed by someone else just now.")) from None
        raise


# -- inside the ledger ---------------------------------------------------------------


def _reversible(session: Session, ids: list[int], back_to: Location | None) -> list[Move]:
    """The moves, in the order asked, once sure each may be reversed (and its copies
    put back at ``back_to`` when asked)."""
    if not ids:
        raise InvalidMove(say("Nothing to reverse: no moves given."))
    found = {m.id: m for m in session.scalars(select(Move).where(Move.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(say("No move %(ids)s in the ledger.", ids=", ".join(map(str, missing))))
    moves = [found[i] for i in ids]
    for move in moves:
        if move.kind == MoveKind.REVERSAL:
            raise InvalidMove(
                say("Move %(id)s is itself a reversal and cannot be reversed.", id=move.id)
            )
        problem = back_to and back_to_problem(move.id, move.kind, move.from_location, back_to)
        if problem:
            raise InvalidMove(problem)
    done = session.scalars(select(Move.reverses_id).where(Move.reverses_id.in_(ids))).all()
    if done:
        # None of them NULL: each matched one of the ids.
        reversed_ids = sorted(i for i in done if i is not None)
        raise AlreadyReversed(
            say("Move %(ids)s was already reversed.", ids=", ".join(map(str, reversed_ids)))
        )
    return moves


class _LineProblem(Exception):
    """What is wrong with one line of a posting (numbered in the message when there
    are several)."""


def _resolve(
    session: Session,
    lines: list[MoveLine],
    closed_ok: Collection[int] = (),
    editions: dict[int, Edition] | None = None,
    locations: dict[int, Location] | None = None,
) -> list[_Leg]:
    """Check each line's shape and rules, and load what it names (unless given: loaded
    for many postings at once)."""
    many = len(lines) > 1
    if editions is None:
        editions = _load(session, Edition, {line.edition_id for line in lines})
    if locations is None:
        locations = _load(session, Location, _location_ids(lines))
    # Every line's quantity first: a wrong number is the likeliest mistake of all.
    _each(lines, _quantity, many)
    return _each(lines, lambda line: _leg(line, editions, locations, closed_ok), many)


def _each(lines: list[MoveLine], step: Callable[[MoveLine], _T], many: bool) -> list[_T]:
    """``step`` of every line, or an InvalidMove that says which line went wrong."""
    done = []
    for i, line in enumerate(lines):
        try:
            done.append(step(line))
        except _LineProblem as problem:
            raise InvalidMove(
                say("Move %(n)s: %(problem)s", n=i + 1, problem=problem) if many else str(problem)
            ) from None
    return done


def _quantity(line: MoveLine) -> None:
    problem = quantity_problem(line.qty)
    if problem:
        raise _LineProblem(problem)


def _enums(line: MoveLine) -> tuple[MoveKind, Condition, Condition]:
    try:
        kind = MoveKind(line.kind)
    except ValueError:
        raise _LineProblem(say("%(kind)s is not a kind of move.", kind=repr(line.kind))) from None
    if kind == MoveKind.REVERSAL:
        raise _LineProblem(say("reversals are made by reversing a move, not posted directly."))
    try:
        return (
            kind,
            Condition(line.from_condition),
            Condition(line.to_condition or line.from_condition),
        )
    except ValueError:
        raise _LineProblem(say("the condition must be 'unsigned' or 'signed'.")) from None


def _leg(line: MoveLine, editions: dict, locations: dict, closed_ok: Collection[int] = ()) -> _Leg:
    kind, source_condition, target_condition = _enums(line)
    edition = editions.get(line.edition_id)
    if edition is None:
        raise _LineProblem(say("there is no edition %(id)s.", id=repr(line.edition_id)))
    source = locations.get(line.from_location_id)
    if source is None:
        raise _LineProblem(
            say(
                "there is no location %(id)s to take copies from.",
                id=repr(line.from_location_id),
            )
        )
    target = locations.get(line.to_location_id)
    if target is None:
        raise _LineProblem(
            say("there is no location %(id)s to put copies in.", id=repr(line.to_location_id))
        )
    problem = rule_problem(
        kind, source, source_condition, target, target_condition, closed_ok=closed_ok
    )
    if problem:
        raise _LineProblem(problem)
    return _Leg(
        kind, edition, line.qty, source, source_condition, target, target_condition, line.note
    )


def _location_ids(lines: list[MoveLine]) -> set[int]:
    return {line.from_location_id for line in lines} | {line.to_location_id for line in lines}


# What _load loads.
_Model = TypeVar("_Model", Edition, Location)


def _load(session: Session, model: type[_Model], ids: set[int]) -> dict[int, _Model]:
    """Rows of ``model`` by id: those the session holds already, the rest in one SELECT."""
    found: dict[int, _Model] = {}
    missing = []
    for i in ids:
        if not isinstance(i, int) or isinstance(i, bool):
            continue  # not an id: reported as unknown by the caller
        held = session.identity_map.get(identity_key(model, i))
        if held is not None:
            found[i] = held
        else:
            missing.append(i)
    if missing:
        rows = session.scalars(select(model).where(model.id.in_(missing)))
        found.update({row.id: row for row in rows})
    return found


@dataclass(frozen=True)
class _Posting:
    document: Document | Written
    legs: list[_Leg]
    when: datetime
    created_by_id: int | None
    details: dict | None


def _apply(
    session: Session,
    document: Document,
    legs: list[_Leg],
    *,
    created_by_id: int | None,
    occurred_at: datetime | None,
    details: dict | None = None,
    savepoint: bool = True,
) -> list[int]:
    now = utcnow()
    when = occurred_at or now
    with session.begin_nested() if savepoint else contextlib.nullcontext():
        # The document is written inside the savepoint: a refused posting leaves none.
        if document.id is None:
            _dated(when, now)
            document.occurred_at = when
            session.add(document)
            session.flush()
        (ids,) = _write(session, [_Posting(document, legs, when, created_by_id, details)], now)
        return ids


def _dated(when: datetime, now: datetime) -> None:
    if when > now:
        raise InvalidMove(
            say("%(at)s is in the future: moves are dated when they happened.", at=moment(when))
        )


def _write(
    session: Session,
    postings: list[_Posting],
    now: datetime,
    *,
    at_once: bool = False,
    audited: bool = True,
) -> list[list[int]]:
    """Write the postings' balances, weekly roll-up, moves and audit entries (unless
    the caller records them, ``audited=False``): one statement per table and balance for
    all of them."""
    for posting in postings:
        _dated(posting.when, now)
    # What the session holds unwritten goes first: the statements below go straight to
    # the connection, past the session's own flush before each statement.
    session.flush()
    months: dict[date, tuple[set[int | None], datetime]] = {}
    for posting in postings:
        sections, _when = months.setdefault(month_of(posting.when), (set(), posting.when))
        sections.update(leg.source.section_id for leg in posting.legs)
        sections.update(leg.target.section_id for leg in posting.legs)
    for sections, when in months.values():
        past.refuse_closed(session, sections, when)
    # Balances first, then the weekly roll-up, each in key order: every posting takes
    # its row locks in the same global order, so none waits for another in a cycle.
    _change_balances(session, postings, at_once=at_once)
    flows: dict[tuple[date, int, int, str], int] = defaultdict(int)
    for posting in postings:
        for key, qty in _flows(posting.legs, posting.when).items():
            flows[key] += qty
    rows = [
        {"week": w, "location_id": loc, "edition_id": ed, "metric": m, "qty": q}
        for (w, loc, ed, m), q in sorted(flows.items())
        if q
    ]
    if rows:
        connection = session.connection()
        connection.execute(_upsert_flow(connection.dialect.name), rows)
    ids = _write_moves(session, postings, now)
    if not audited:
        return ids
    audit.record_all(
        session,
        [
            _audit_entry(p.document, p.legs, moves, p.when, p.details)
            for p, moves in zip(postings, ids, strict=True)
        ],
    )
    return ids


def _change_balances(session: Session, postings: list[_Posting], *, at_once: bool = False) -> None:
    """Each balance the postings change, once, in key order: taken from where copies
    must be (refused when short), added to elsewhere. A posting's copies in and out of
    one balance count as what they come to; across postings, what is taken is taken
    before what is put back is added."""
    taken: dict[tuple[int, int, str], int] = defaultdict(int)
    added: dict[tuple[int, int, str], int] = defaultdict(int)
    # When each balance is first taken from, and last moves.
    first: dict[tuple[int, int, str], datetime] = {}
    last: dict[tuple[int, int, str], datetime] = {}
    # What each posting takes from each balance, and when (``at_once``).
    takes: dict[tuple[int, int, str], list[tuple[datetime, int]]] = defaultdict(list)
    locations: dict[int, Location] = {}
    editions: dict[int, Edition] = {}
    for posting in postings:
        deltas: dict[tuple[int, int, str], int] = defaultdict(int)
        for leg in posting.legs:
            deltas[(leg.source.id, leg.edition.id, leg.source_condition.value)] -= leg.qty
            deltas[(leg.target.id, leg.edition.id, leg.target_condition.value)] += leg.qty
            locations[leg.source.id] = leg.source
            locations[leg.target.id] = leg.target
            editions[leg.edition.id] = leg.edition
        for key, delta in deltas.items():
            if delta < 0 and not locations[key[0]].is_source:
                taken[key] -= delta
                takes[key].append((posting.when, -delta))
                first[key] = min(first.get(key, posting.when), posting.when)
            else:
                # (Copies in and out at once, net nothing: the balance still moved then.)
                added[key] += delta
            last[key] = max(last.get(key, posting.when), posting.when)
    for key in sorted(taken.keys() | added.keys()):
        location = locations[key[0]]
        if key in taken:
            if first[key] == last[key]:  # one moment (one posting, or a paper tally's)
                _take(session, key, taken[key], location, editions[key[1]], last[key])
            elif not _take_for_all(session, key, taken[key], first[key], last[key], at_once):
                past.check_taken_all(
                    session,
                    key,
                    left=_take_all(session, key, taken[key], location, editions[key[1]], last[key]),
                    takes=takes[key],
                    location=location.label,
                    edition=edition_label(editions[key[1]]),
                )
        if key in added:
            _add(session, key, added[key], is_source=location.is_source, when=last[key])


def _write_moves(session: Session, postings: list[_Posting], now: datetime) -> list[list[int]]:
    """The postings' moves, in one INSERT: the ids of each posting's."""
    rows = [
        {
            "document_id": posting.document.id,
            "edition_id": leg.edition.id,
            "qty": leg.qty,
            "from_location_id": leg.source.id,
            "from_condition": leg.source_condition.value,
            "to_location_id": leg.target.id,
            "to_condition": leg.target_condition.value,
            "kind": leg.kind.value,
            "occurred_at": posting.when,
            "created_at": now,
            "created_by_id": posting.created_by_id,
            "note": leg.note,
            "reverses_id": leg.reverses_id,
        }
        for posting in postings
        for leg in posting.legs
    ]
    ids = inserted_ids(session.connection(), _moves, rows)
    split, start = [], 0
    for posting in postings:
        split.append(ids[start : start + len(posting.legs)])
        start += len(posting.legs)
    return split


def _flows(legs: list[_Leg], when: datetime) -> dict[tuple[date, int, int, str], int]:
    week = week_of(when)
    flows: dict[tuple[date, int, int, str], int] = defaultdict(int)
    for leg in legs:
        for metric, location_id, sign in flows_of(
            leg.kind,
            leg.source.id,
            leg.source_condition.value,
            leg.target.id,
            leg.target_condition.value,
            leg.reverses_kind,
        ):
            flows[(week, location_id, leg.edition.id, metric)] += sign * leg.qty
    return {key: qty for key, qty in flows.items() if qty}


# An audit entry lists at most this many moves (a bulk posting can hold thousands; the
# moves themselves are the full, immutable record).
AUDITED_MOVES = 100


def _audit_entry(
    document: Document | Written,
    legs: list[_Leg],
    ids: list[int],
    when: datetime,
    details: dict | None,
) -> audit.Entry:
    """The posting's audit entry: recorded now (the entry's own time), and when it
    happened (``occurred_at``), which may be earlier."""
    reversal = any(leg.reverses_id for leg in legs)
    copies = sum(leg.qty for leg in legs)
    after = {
        "document": {
            "kind": document.kind,
            "reference": document.reference,
            "note": document.note,
        },
        "occurred_at": when.isoformat(),
        "moves": [
            {
                "id": move_id,
                "kind": leg.kind.value,
                "edition": leg.edition.isbn,
                "qty": leg.qty,
                "from": f"{leg.source.code}/{leg.source_condition.value}",
                "to": f"{leg.target.code}/{leg.target_condition.value}",
                **({"reverses": leg.reverses_id} if leg.reverses_id else {}),
            }
            for move_id, leg in list(zip(ids, legs, strict=True))[:AUDITED_MOVES]
        ],
        **(details or {}),
    }
    if len(legs) > AUDITED_MOVES:
        after["more_moves"] = len(legs) - AUDITED_MOVES
    return audit.Entry(
        kind="stock.reversed" if reversal else "stock.posted",
        object_type="document",
        object_id=document.id,
        summary=(
            f"{document.kind_label.capitalize()} #{document.id}: {copies:,} "
            f"{'copy' if copies == 1 else 'copies'} in {len(legs)} "
            f"{'move' if len(legs) == 1 else 'moves'}"
        ),
        after=after,
        section_ids={leg.source.section_id for leg in legs}
        | {leg.target.section_id for leg in legs},
    )


_moves = table_of(Move)
_balances = table_of(Balance)
_KEY = (
    (_balances.c.location_id == bindparam("b_location"))
    & (_balances.c.edition_id == bindparam("b_edition"))
    & (_balances.c.condition == bindparam("b_condition"))
)
_WHEN = bindparam("b_when", type_=UTCDateTime())


def _latest(column, when):
    """The later of a balance's latest move and ``when``."""
    return case((column.is_(None) | (column < when), when), else_=column)


# Built once: constructing these per posting costs more than running them. RETURNING
# gives what is left and when the balance last moved before this posting (or this
# posting's moment, if that is later).
_TAKE = (
    update(_balances)
    .where(_KEY, _balances.c.qty >= bindparam("b_qty"))
    .values(
        qty=_balances.c.qty - bindparam("b_qty"),
        last_moved_at=_latest(_balances.c.last_moved_at, _WHEN),
    )
    .returning(_balances.c.qty, _balances.c.last_moved_at)
)
_READ = select(_balances.c.qty).where(_KEY)
# Taken for several postings at one go: only if the balance holds enough for all of
# them and has not moved since the earliest (then every moment between adds up).
_TAKE_FOR_ALL = (
    update(_balances)
    .where(
        _KEY,
        _balances.c.qty >= bindparam("b_qty"),
        _balances.c.last_moved_at.is_(None)
        | (_balances.c.last_moved_at <= bindparam("b_first", type_=UTCDateTime())),
    )
    .values(
        qty=_balances.c.qty - bindparam("b_qty"),
        last_moved_at=_latest(_balances.c.last_moved_at, _WHEN),
    )
    .returning(_balances.c.qty)
)


@functools.cache
def _upsert(dialect: str):
    """INSERT a balance, or add to it when it exists (both engines say ON CONFLICT)."""
    statement = dialect_insert(dialect, _balances)
    return statement.on_conflict_do_update(
        index_elements=[_balances.c.location_id, _balances.c.edition_id, _balances.c.condition],
        set_={
            "qty": _balances.c.qty + statement.excluded.qty,
            "last_moved_at": _latest(_balances.c.last_moved_at, statement.excluded.last_moved_at),
        },
    )


_flows_table = table_of(WeeklyFlow)


@functools.cache
def _upsert_flow(dialect: str):
    """Add to a week's roll-up row, or make it (ON CONFLICT on both engines)."""
    statement = dialect_insert(dialect, _flows_table)
    return statement.on_conflict_do_update(
        index_elements=[
            _flows_table.c.week,
            _flows_table.c.location_id,
            _flows_table.c.edition_id,
            _flows_table.c.metric,
        ],
        set_={"qty": _flows_table.c.qty + statement.excluded.qty},
    )


def _take(
    session: Session,
    key: tuple[int, int, str],
    qty: int,
    location: Location,
    edition: Edition,
    when: datetime,
) -> None:
    params = {"b_location": key[0], "b_edition": key[1], "b_condition": key[2]}
    row = session.connection().execute(_TAKE, {**params, "b_qty": qty, "b_when": when}).first()
    if row is None:
        there = session.scalar(_READ, params) or 0
        raise InsufficientStock(
            location=location.label,
            edition=edition_label(edition),
            condition=key[2],
            there=there,
            asked=qty,
            edition_id=edition.id,
        )
    left: int = row[0]
    last_moved_at: datetime | None = row[1]
    if last_moved_at is not None and last_moved_at > when:
        # Dated before the balance's latest move: the later moments must stay whole.
        past.check_taken(
            session,
            key,
            left=left,
            taken=qty,
            when=when,
            location=location.label,
            edition=edition_label(edition),
        )


def _take_for_all(
    session: Session,
    key: tuple[int, int, str],
    qty: int,
    first: datetime,
    last: datetime,
    at_once: bool = False,
) -> bool:
    """Take ``qty`` for postings from ``first`` to ``last`` if the balance holds them and
    has not moved since ``first`` (True). Otherwise PostApart, or, ``at_once``, False
    with nothing taken: the caller takes them and checks the past."""
    params = {"b_location": key[0], "b_edition": key[1], "b_condition": key[2]}
    row = session.connection().execute(
        _TAKE_FOR_ALL, {**params, "b_qty": qty, "b_first": first, "b_when": last}
    )
    if row.first() is not None:
        return True
    if at_once:
        return False
    raise PostApart(f"Balance {key} cannot give {qty} copies for all the postings at once.")


def _take_all(
    session: Session,
    key: tuple[int, int, str],
    qty: int,
    location: Location,
    edition: Edition,
    last: datetime,
) -> int:
    """Take ``qty`` copies now (refused when short): what is left."""
    params = {"b_location": key[0], "b_edition": key[1], "b_condition": key[2]}
    row = session.connection().execute(_TAKE, {**params, "b_qty": qty, "b_when": last}).first()
    if row is None:
        raise InsufficientStock(
            location=location.label,
            edition=edition_label(edition),
            condition=key[2],
            there=session.scalar(_READ, params) or 0,
            asked=qty,
        )
    return int(row[0])


def _add(
    session: Session, key: tuple[int, int, str], qty: int, *, is_source: bool, when: datetime
) -> None:
    """Add ``qty`` (negative only for sources) to a balance, creating it if needed."""
    connection = session.connection()
    connection.execute(
        _upsert(connection.dialect.name),
        {
            "location_id": key[0],
            "edition_id": key[1],
            "condition": key[2],
            "qty": qty,
            "is_source": is_source,
            "last_moved_at": when,
        },
    )
