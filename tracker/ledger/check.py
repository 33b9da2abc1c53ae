"""The ledger checked against itself: every balance and every week of the roll-up
recomputed from the moves, and each figure that disagrees listed; and the past replayed
in the order things happened, where no place but a source may ever hold fewer than
zero copies, no copy arrives before it left, and no correction comes before what it
corrects."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

from tracker.domain.periods import week_of
from tracker.domain.places import SOURCE_KINDS
from tracker.domain.stock import (
    flows_of,
)
from tracker.domain.words import day, say
from tracker.ledger.posting import edition_label
from tracker.models import Balance, Edition, Location, Move, Receipt, Shipment, WeeklyFlow


@dataclass(frozen=True)
class Discrepancy:
    """A balance (or a week of the roll-up) that disagrees with the sum of the moves."""

    location: str
    edition: str
    condition: str
    from_moves: int
    in_balances: int
    where: str = "balances"

    def __str__(self) -> str:
        values = {
            "location": self.location,
            "edition": self.edition,
            "condition": self.condition,
            "from_moves": self.from_moves,
            "kept": self.in_balances,
        }
        if self.where == "balances":
            return say(
                "%(location)s, %(edition)s, %(condition)s: moves give %(from_moves)s, "
                "balances say %(kept)s",
                **values,
            )
        if self.where == "the weekly roll-up":
            return say(
                "%(location)s, %(edition)s, %(condition)s: moves give %(from_moves)s, "
                "the weekly roll-up say %(kept)s",
                **values,
            )
        return say(
            "%(location)s, %(edition)s, %(condition)s: moves give %(from_moves)s, "
            "%(where)s say %(kept)s",
            where=self.where,
            **values,
        )


@dataclass(frozen=True)
class PastProblem:
    """Something the past, replayed in the order it happened, cannot have been."""

    what: str

    def __str__(self) -> str:
        return self.what


Problem = Discrepancy | PastProblem


def check(session: Session) -> list[Problem]:
    """Recompute every balance and the weekly roll-up from the moves, and replay the
    past; list each figure that disagrees, then what the past cannot have been (the
    first moment a place held fewer than zero copies, when a balance's latest move is
    not what the balance says, receipts before their dispatch, corrections before what
    they correct)."""
    from_moves = _balances_from_moves(session)
    problems = _differ(
        {key: qty for key, (qty, _last) in from_moves.items()}, _kept_balances(session)
    )
    flow_problems = _differ(weekly_flows_from_moves(session), _kept_flows(session))
    past = _past_problems(session, from_moves)
    if not problems and not flow_problems:
        return list(past)
    locations = {loc.id: loc for loc in session.scalars(select(Location))}
    editions = {ed.id: ed for ed in session.scalars(select(Edition))}

    def place(loc: int) -> str:
        return locations[loc].label if loc in locations else say("location %(id)s", id=loc)

    def book(ed: int) -> str:
        return edition_label(editions[ed]) if ed in editions else say("edition %(id)s", id=ed)

    return (
        [
            Discrepancy(place(loc), book(ed), cond, from_moves, in_balances)
            for (loc, ed, cond), from_moves, in_balances in problems
        ]
        + [
            Discrepancy(
                place(loc),
                book(ed),
                say("%(metric)s in the week of %(week)s", metric=metric, week=day(week)),
                from_moves,
                in_rollup,
                where="the weekly roll-up",
            )
            for (week, loc, ed, metric), from_moves, in_rollup in flow_problems
        ]
        + list(past)
    )


def _differ(expected: dict, kept: dict) -> list[tuple]:
    """(key, from the moves, as kept) for each key whose figures differ, in key order."""
    return [
        (key, expected.get(key, 0), kept.get(key, 0))
        for key in sorted(expected.keys() | kept.keys())
        if expected.get(key, 0) != kept.get(key, 0)
    ]


def _both_ends():
    """Every move as two rows: copies into a balance (+) and out of one (-)."""
    return union_all(
        select(
            Move.to_location_id.label("location_id"),
            Move.edition_id,
            Move.to_condition.label("condition"),
            Move.occurred_at,
            Move.qty.label("qty"),
        ),
        select(
            Move.from_location_id.label("location_id"),
            Move.edition_id,
            Move.from_condition.label("condition"),
            Move.occurred_at,
            (literal_column("0") - Move.qty).label("qty"),
        ),
    ).subquery()


def _balances_from_moves(session: Session) -> dict[tuple[int, int, str], tuple[int, datetime]]:
    """Every balance as the moves give it, and when it last moved, in one GROUP BY over
    both ends."""
    flows = _both_ends()
    return {
        (row.location_id, row.edition_id, row.condition): (int(row.total), row.last)
        for row in session.execute(
            select(
                flows.c.location_id,
                flows.c.edition_id,
                flows.c.condition,
                func.sum(flows.c.qty).label("total"),
                func.max(flows.c.occurred_at).label("last"),
            ).group_by(flows.c.location_id, flows.c.edition_id, flows.c.condition)
        )
    }


def _past_problems(
    session: Session, from_moves: dict[tuple[int, int, str], tuple[int, datetime]]
) -> list[PastProblem]:
    problems = []
    first = _first_short_moment(session)
    if first is not None:
        problems.append(first)
    kept = {
        (b.location_id, b.edition_id, b.condition): b.last_moved_at
        for b in session.execute(
            select(
                Balance.location_id, Balance.edition_id, Balance.condition, Balance.last_moved_at
            )
        )
    }
    for key in sorted(kept.keys() & from_moves.keys()):
        last = _aware(from_moves[key][1])
        if kept[key] != last:
            problems.append(
                PastProblem(
                    say(
                        "%(balance)s last moved on %(last)s as its moves say, but the balance "
                        "says %(kept)s.",
                        balance=_names(session, key),
                        last=_when(last),
                        kept=_when(kept[key]),
                    )
                )
            )
    original = aliased(Move)
    for move_id, at, reverses, before in session.execute(
        select(Move.id, Move.occurred_at, original.id, original.occurred_at)
        .join(original, original.id == Move.reverses_id)
        .where(Move.occurred_at < original.occurred_at)
        .order_by(Move.id)
    ):
        problems.append(
            PastProblem(
                say(
                    "Move %(id)s, dated %(at)s, reverses move %(reverses)s, dated later "
                    "(%(before)s).",
                    id=move_id,
                    at=_when(at),
                    reverses=reverses,
                    before=_when(before),
                )
            )
        )
    for receipt_id, shipment_id, received, dispatched in session.execute(
        select(
            Receipt.document_id, Shipment.document_id, Receipt.received_at, Shipment.dispatched_at
        )
        .join(Shipment, Shipment.document_id == Receipt.shipment_id)
        .where(Receipt.received_at < Shipment.dispatched_at)
        .order_by(Receipt.document_id)
    ):
        problems.append(
            PastProblem(
                say(
                    "Receipt #%(receipt)s is dated %(received)s, before shipment "
                    "#%(shipment)s was dispatched (%(dispatched)s).",
                    receipt=receipt_id,
                    received=_when(received),
                    shipment=shipment_id,
                    dispatched=_when(dispatched),
                )
            )
        )
    return problems


def _first_short_moment(session: Session) -> PastProblem | None:
    """Replaying every balance's moves in the order they happened (moves at the same
    moment together), the first moment a place that is not a source holds fewer than
    zero copies: one query, a running sum per balance."""
    flows = _both_ends()
    per_moment = (
        select(
            flows.c.location_id,
            flows.c.edition_id,
            flows.c.condition,
            flows.c.occurred_at,
            func.sum(flows.c.qty).label("delta"),
        )
        .group_by(flows.c.location_id, flows.c.edition_id, flows.c.condition, flows.c.occurred_at)
        .subquery()
    )
    running = select(
        per_moment,
        func.sum(per_moment.c.delta)
        .over(
            partition_by=(
                per_moment.c.location_id,
                per_moment.c.edition_id,
                per_moment.c.condition,
            ),
            order_by=per_moment.c.occurred_at,
            rows=(None, 0),
        )
        .label("held"),
    ).subquery()
    row = session.execute(
        select(
            running.c.location_id,
            running.c.edition_id,
            running.c.condition,
            running.c.occurred_at,
            running.c.held,
        )
        .join(Location, Location.id == running.c.location_id)
        .where(running.c.held < 0, Location.kind.not_in([k.value for k in SOURCE_KINDS]))
        .order_by(running.c.occurred_at, running.c.location_id, running.c.edition_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return PastProblem(
        say(
            "Replayed in the order things happened, %(balance)s held %(held)s copies on "
            "%(at)s: the first moment the past does not add up.",
            balance=_names(session, row),
            held=row.held,
            at=_when(_aware(row.occurred_at)),
        )
    )


def _names(session: Session, key) -> str:
    """A balance's place, edition and condition, as people read them."""
    location_id, edition_id, condition = key[0], key[1], key[2]
    location = session.get(Location, location_id)
    edition = session.get(Edition, edition_id)
    return say(
        "%(location)s, %(edition)s, %(condition)s,",
        location=location.label if location else say("location %(id)s", id=location_id),
        edition=edition_label(edition) if edition else say("edition %(id)s", id=edition_id),
        condition=condition,
    )


def _aware(moment: datetime | str) -> datetime:
    """A moment read back from a query over a union (SQLite gives text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(moment: datetime | None) -> str:
    """A moment to the second (what a check compares), or never."""
    return f"{moment:%d %b %Y %H:%M:%S}" if moment else say("never")


def _kept_balances(session: Session) -> dict[tuple[int, int, str], int]:
    return {
        (b.location_id, b.edition_id, b.condition): b.qty
        for b in session.execute(
            select(Balance.location_id, Balance.edition_id, Balance.condition, Balance.qty)
        )
    }


def _kept_flows(session: Session) -> dict[tuple[date, int, int, str], int]:
    return {
        (f.week, f.location_id, f.edition_id, f.metric): f.qty
        for f in session.execute(
            select(
                WeeklyFlow.week,
                WeeklyFlow.location_id,
                WeeklyFlow.edition_id,
                WeeklyFlow.metric,
                WeeklyFlow.qty,
            )
        )
    }


def weekly_flows_from_moves(session: Session) -> dict[tuple[date, int, int, str], int]:
    """The weekly roll-up as the moves give it, read in chunks."""
    original = aliased(Move)
    query = (
        select(
            Move.kind,
            Move.qty,
            Move.edition_id,
            Move.occurred_at,
            Move.from_location_id,
            Move.from_condition,
            Move.to_location_id,
            Move.to_condition,
            original.kind,
        )
        .outerjoin(original, original.id == Move.reverses_id)
        .execution_options(yield_per=20_000)
    )
    expected: dict[tuple[date, int, int, str], int] = defaultdict(int)
    for (
        kind,
        qty,
        edition_id,
        occurred,
        source,
        source_condition,
        target,
        target_condition,
        reverses_kind,
    ) in session.execute(query):
        week = week_of(occurred)
        for metric, location_id, sign in flows_of(
            kind, source, source_condition, target, target_condition, reverses_kind
        ):
            expected[(week, location_id, edition_id, metric)] += sign * qty
    return {key: qty for key, qty in expected.items() if qty}
