"""The ledger's rules, on plain values: conditions, kinds of move, which places each
kind may take copies from and put them to, and what each move counts in the weekly
roll-up.

Every copy is always somewhere. Stock is the sum of immutable moves, each taking
``qty`` copies of one edition, in one condition, from one place to another; the ledger
(``tracker.ledger``) writes them, and asks this module whether a move may be made.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from enum import StrEnum
from typing import Protocol

from tracker.domain.errors import DomainError
from tracker.domain.places import KIND_LABELS, PHYSICAL_KINDS, SECTION_BOUND_KINDS, LocationKind
from tracker.domain.text import Words, join_or
from tracker.domain.words import number as grouped
from tracker.domain.words import say, say_mark, sentence

# No single move carries more copies than this: a larger number is a typing mistake.
MAX_QTY = 1_000_000


class Condition(Words):
    UNSIGNED = "unsigned"
    SIGNED = "signed"


class MoveKind(Words):
    PRINT_RUN = "print_run"  # printer -> warehouse or a section's store
    DISPATCH = "dispatch"  # physical -> in transit
    RECEIPT = "receipt"  # in transit -> physical
    TRANSIT_LOSS = "transit_loss"  # in transit -> written off (damaged or missing)
    TRANSFER = "transfer"  # physical -> physical
    SALE = "sale"  # physical -> customers
    CUSTOMER_RETURN = "customer_return"  # customers -> physical
    SIGNING = "signing"  # unsigned -> signed at one location
    WRITE_OFF = "write_off"  # physical -> written off
    STOCKTAKE_GAIN = "stocktake_gain"  # stocktake differences -> physical
    STOCKTAKE_LOSS = "stocktake_loss"  # physical -> stocktake differences
    REVERSAL = "reversal"  # the opposite of an earlier move


# The kinds of move as people read them (``MoveKind.label``), for the catalogues.
_LABELS = (
    say_mark("print run"),
    say_mark("dispatch"),
    say_mark("receipt"),
    say_mark("transit loss"),
    say_mark("transfer"),
    say_mark("sale"),
    say_mark("customer return"),
    say_mark("signing"),
    say_mark("write off"),
    say_mark("stocktake gain"),
    say_mark("stocktake loss"),
    say_mark("reversal"),
    # The conditions (``Condition.label``).
    say_mark("unsigned"),
    say_mark("signed"),
)


class FlowMetric(StrEnum):
    """What the weekly roll-up counts, by the kind of move (a reversal counts back)."""

    # Every move: the change in copies held, at both ends (so positions at the end of
    # a past week are the balances less the changes since).
    HELD_UNSIGNED = "held_unsigned"
    HELD_SIGNED = "held_signed"
    RECEIVED = "received"  # receipts and print runs, at the place that received
    SOLD_UNSIGNED = "sold_unsigned"  # sales less voids and returns, at the customers
    SOLD_SIGNED = "sold_signed"
    SIGNED = "signed"  # signings, where the copies were signed
    WRITTEN_OFF = "written_off"  # write-offs, at the written-off place they went to
    LOST_IN_TRANSIT = "lost_in_transit"  # damaged or missing on receipt, likewise
    # Copies sent off in a shipment, at the store they left (a section's: its returns).
    DISPATCHED = "dispatched"
    # Transfers, net: copies in (+) and out (-) at each end, so that a section's places
    # add up to what it passed to or got from other sections.
    TRANSFERRED = "transferred"
    # Stocktakes, net: copies found (+) or short (-), at the place counted.
    COUNTED = "counted"


class Place(Protocol):
    """A place as the rules see it (a ``Location`` is one)."""

    @property
    def id(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def section_id(self) -> int | None: ...

    @property
    def active(self) -> bool: ...

    @property
    def label(self) -> str: ...

    @property
    def owner(self) -> str: ...


K = LocationKind
_STORES = frozenset({K.WAREHOUSE, K.SECTION_STORE})

# What each kind of move may take copies from, and put them to.
RULES: dict[MoveKind, tuple[frozenset[LocationKind], frozenset[LocationKind]]] = {
    MoveKind.PRINT_RUN: (frozenset({K.PRINTER}), _STORES),
    MoveKind.DISPATCH: (_STORES, frozenset({K.IN_TRANSIT})),
    MoveKind.RECEIPT: (frozenset({K.IN_TRANSIT}), _STORES),
    MoveKind.TRANSIT_LOSS: (frozenset({K.IN_TRANSIT}), frozenset({K.WRITTEN_OFF})),
    MoveKind.TRANSFER: (PHYSICAL_KINDS, PHYSICAL_KINDS),
    MoveKind.SALE: (PHYSICAL_KINDS, frozenset({K.CUSTOMERS})),
    MoveKind.CUSTOMER_RETURN: (frozenset({K.CUSTOMERS}), PHYSICAL_KINDS),
    MoveKind.SIGNING: (PHYSICAL_KINDS, PHYSICAL_KINDS),
    MoveKind.WRITE_OFF: (PHYSICAL_KINDS, frozenset({K.WRITTEN_OFF})),
    MoveKind.STOCKTAKE_GAIN: (frozenset({K.STOCKTAKE_DIFFERENCES}), PHYSICAL_KINDS),
    MoveKind.STOCKTAKE_LOSS: (PHYSICAL_KINDS, frozenset({K.STOCKTAKE_DIFFERENCES})),
}


def quantity_problem(qty: object, *, zero: bool = False, what: str | None = None) -> str | None:
    """Why ``qty`` is no number of copies, or None: copies are a whole number from 1 (or
    from 0 where a count may be nought, ``zero``) to ``MAX_QTY``. The one rule for
    every number of copies the tracker takes: moves, lines, counts, sales. ``what``:
    what the number is, as the sentence names it (the quantity), said where it is
    written: ``say("the count")``."""
    low = 0 if zero else 1
    number = qty if isinstance(qty, int) and not isinstance(qty, bool) else None
    if number is not None and low <= number <= MAX_QTY:
        return None  # the usual case: nothing to say, so nothing said
    what = say("the quantity") if what is None else what
    if zero and (number is None or number < 0):
        return say("%(what)s must be a whole number, 0 or more.", what=what)
    if number is None:
        return say("%(what)s must be a whole number, not %(value)s.", what=what, value=repr(qty))
    if number < low:
        return say("%(what)s must be at least %(low)s, not %(n)s.", what=what, low=low, n=number)
    if number > MAX_QTY:
        return say("%(n)s copies in one move is more than %(max)s.", n=number, max=grouped(MAX_QTY))
    return None


def check_quantity(
    qty: object,
    where: str | Callable[[], str] = "",
    *,
    zero: bool = False,
    what: str | None = None,
) -> int:
    """``qty`` when it is a number of copies; else a DomainError saying why, after
    ``where`` (an edition, a line, said in the reader's language) when given: a text,
    or what makes it, asked only when there is something to say (an edition's label
    looks up its language's name)."""
    problem = quantity_problem(qty, zero=zero, what=what)
    if problem:
        where = where() if callable(where) else where
        raise DomainError(
            say("%(where)s: %(problem)s", where=where, problem=problem)
            if where
            else sentence(problem)
        )
    assert isinstance(qty, int)
    return qty


def rule_problem(
    kind: MoveKind,
    source: Place,
    source_condition: Condition,
    target: Place,
    target_condition: Condition,
    *,
    closed_ok: Collection[int] = (),
) -> str | None:
    """Why this move breaks the rules of its kind, or None when it does not.

    ``closed_ok``: closed places (ids) the move may still take from or put to, because
    it records what happened there while they were open (a paper tally typed in after
    its event closed)."""
    return (
        _ends_problem(source, source_condition, target, target_condition, closed_ok)
        or _kinds_problem(kind, source, target)
        or _condition_problem(kind, source, source_condition, target, target_condition)
        or _owners_problem(kind, source, target)
    )


def _ends_problem(
    source: Place,
    source_condition: Condition,
    target: Place,
    target_condition: Condition,
    closed_ok: Collection[int] = (),
) -> str | None:
    if source.id == target.id and source_condition == target_condition:
        return say("copies cannot move from %(place)s to itself.", place=source.label)
    for place in (source, target):
        if not place.active and place.id not in closed_ok:
            return say("%(place)s is closed: no copies move in or out of it.", place=place.label)
    return None


def _kinds_problem(kind: MoveKind, source: Place, target: Place) -> str | None:
    sources, targets = RULES[kind]
    if source.kind not in sources:
        message = (
            "a %(kind)s cannot take copies from %(place)s, an %(place_kind)s location; it "
            "takes them from %(kinds)s."
            if _vowel(source.kind)
            else "a %(kind)s cannot take copies from %(place)s, a %(place_kind)s location; it "
            "takes them from %(kinds)s."
        )
        return say(
            message,
            kind=kind.label,
            place=source.label,
            place_kind=LocationKind(source.kind).label,
            kinds=_kinds(sources),
        )
    if target.kind not in targets:
        message = (
            "a %(kind)s cannot put copies in %(place)s, an %(place_kind)s location; it puts "
            "them in %(kinds)s."
            if _vowel(target.kind)
            else "a %(kind)s cannot put copies in %(place)s, a %(place_kind)s location; it "
            "puts them in %(kinds)s."
        )
        return say(
            message,
            kind=kind.label,
            place=target.label,
            place_kind=LocationKind(target.kind).label,
            kinds=_kinds(targets),
        )
    return None


def _vowel(kind: str) -> bool:
    """Whether the kind of place's English name starts with a vowel (an event table)."""
    return KIND_LABELS[LocationKind(kind)][:1].lower() in "aeiou"


def _condition_problem(
    kind: MoveKind,
    source: Place,
    source_condition: Condition,
    target: Place,
    target_condition: Condition,
) -> str | None:
    if kind == MoveKind.SIGNING:
        if source.id != target.id:
            return say("copies are signed where they are: a signing stays at one location.")
        if (source_condition, target_condition) != (Condition.UNSIGNED, Condition.SIGNED):
            return say("a signing turns unsigned copies into signed ones.")
    elif source_condition != target_condition:
        return say(
            "a %(kind)s keeps the condition of the copies; only a signing changes it.",
            kind=kind.label,
        )
    return None


def _owners_problem(kind: MoveKind, source: Place, target: Place) -> str | None:
    if kind == MoveKind.RECEIPT and source.section_id != target.section_id:
        return say(
            "copies in %(place)s can only be received by %(owner)s, not at %(target)s.",
            place=source.label,
            owner=source.owner,
            target=target.label,
        )
    if kind == MoveKind.TRANSIT_LOSS and source.section_id != target.section_id:
        return say(
            "copies lost from %(place)s are written off by %(owner)s, not into %(target)s.",
            place=source.label,
            owner=source.owner,
            target=target.label,
        )
    for virtual, physical in ((source, target), (target, source)):
        if (
            virtual.kind in SECTION_BOUND_KINDS
            and physical.kind in PHYSICAL_KINDS
            and virtual.section_id != physical.section_id
        ):
            return say(
                "%(place)s belongs to %(owner)s; it cannot deal with %(other)s of %(other_owner)s.",
                place=virtual.label,
                owner=virtual.owner,
                other=physical.label,
                other_owner=physical.owner,
            )
    return None


def _kinds(kinds: frozenset[LocationKind]) -> str:
    return join_or(sorted(k.label for k in kinds))


def back_to_problem(move_id: int, move_kind: str, sold_at: Place, place: Place) -> str | None:
    """Why a reversal may not put a move's copies in ``place`` instead of where they
    came from (``sold_at``), or None. Only a sale's copies may go elsewhere, to an open
    physical place of the section they were sold in: all a sale counts lies at the
    customers' end, so every figure of the roll-up still adds up."""
    if place.kind not in PHYSICAL_KINDS or not place.active:
        return say("%(place)s is not an open place to put copies back in.", place=place.label)
    if move_kind != MoveKind.SALE:
        return say("Move %(id)s is not a sale: it goes back where it came from.", id=move_id)
    if sold_at.section_id != place.section_id:
        return say(
            "Move %(id)s was a sale of another section than %(place)s's.",
            id=move_id,
            place=place.label,
        )
    return None


# -- the weekly roll-up ---------------------------------------------------------------------

Flow = tuple[str, int, int]


def flows_of(
    kind: str,
    source_id: int,
    source_condition: str,
    target_id: int,
    target_condition: str,
    reverses_kind: str | None = None,
) -> list[Flow]:
    """What one move adds to the weekly roll-up: (metric, location id, sign) each.

    Every move changes what two places hold (``held_*``: that is how the dashboard
    knows where copies were at the end of a past week). Receipts and print runs also
    count as received where the copies arrived, sales as sold at the customers,
    write-offs as written off and losses in transit as lost, where the copies went;
    signings as signed; dispatches as dispatched from the store they left; transfers and
    stocktake differences, net, at the physical places they change. A customer's
    return counts as a sale undone, and a reversal counts its move's figures back.
    Every copy that enters or leaves a section's stock is so counted under one of
    received, sold, written off, dispatched, transferred or counted: the dashboard's
    rows add up.
    """
    return [
        (f"held_{source_condition}", source_id, -1),
        (f"held_{target_condition}", target_id, 1),
        *counted(kind, source_id, source_condition, target_id, target_condition, reverses_kind),
    ]


def counted(
    kind: str,
    source_id: int,
    source_condition: str,
    target_id: int,
    target_condition: str,
    reverses_kind: str | None = None,
) -> list[Flow]:
    """The figures a move counts besides what the places hold."""
    if kind == MoveKind.REVERSAL:
        if reverses_kind is None:
            return []
        # The move it reverses, seen from its own side (source and target swapped).
        undone = counted(reverses_kind, target_id, target_condition, source_id, source_condition)
        return [(metric, location, -sign) for metric, location, sign in undone]
    return _COUNTED.get(MoveKind(kind), _nothing)(
        source_id, source_condition, target_id, target_condition
    )


def _nothing(_s: int, _sc: str, _t: int, _tc: str) -> list[Flow]:
    return []


M = FlowMetric
_COUNTED = {
    MoveKind.RECEIPT: lambda s, sc, t, tc: [(M.RECEIVED.value, t, 1)],
    MoveKind.PRINT_RUN: lambda s, sc, t, tc: [(M.RECEIVED.value, t, 1)],
    MoveKind.SALE: lambda s, sc, t, tc: [(f"sold_{tc}", t, 1)],
    MoveKind.CUSTOMER_RETURN: lambda s, sc, t, tc: [(f"sold_{sc}", s, -1)],
    MoveKind.WRITE_OFF: lambda s, sc, t, tc: [(M.WRITTEN_OFF.value, t, 1)],
    MoveKind.TRANSIT_LOSS: lambda s, sc, t, tc: [(M.LOST_IN_TRANSIT.value, t, 1)],
    MoveKind.SIGNING: lambda s, sc, t, tc: [(M.SIGNED.value, t, 1)],
    MoveKind.DISPATCH: lambda s, sc, t, tc: [(M.DISPATCHED.value, s, 1)],
    MoveKind.TRANSFER: lambda s, sc, t, tc: [
        (M.TRANSFERRED.value, t, 1),
        (M.TRANSFERRED.value, s, -1),
    ],
    MoveKind.STOCKTAKE_GAIN: lambda s, sc, t, tc: [(M.COUNTED.value, t, 1)],
    MoveKind.STOCKTAKE_LOSS: lambda s, sc, t, tc: [(M.COUNTED.value, s, -1)],
}
