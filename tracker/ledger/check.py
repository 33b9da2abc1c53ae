"""The ledger checked against itself: every balance and every week of the roll-up
recomputed from the moves, and each figure that disagrees listed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

from tracker.domain.periods import week_of
from tracker.domain.stock import (
    flows_of,
)
from tracker.ledger.posting import edition_label
from tracker.models import Balance, Edition, Location, Move, WeeklyFlow


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
        return (
            f"{self.location}, {self.edition}, {self.condition}: moves give "
            f"{self.from_moves}, {self.where} say {self.in_balances}"
        )


def check(session: Session) -> list[Discrepancy]:
    """Recompute every balance and the weekly roll-up from the moves; list each figure
    that disagrees."""
    problems = _differ(_balances_from_moves(session), _kept_balances(session))
    flow_problems = _differ(weekly_flows_from_moves(session), _kept_flows(session))
    if not problems and not flow_problems:
        return []
    locations = {loc.id: loc for loc in session.scalars(select(Location))}
    editions = {ed.id: ed for ed in session.scalars(select(Edition))}

    def place(loc: int) -> str:
        return locations[loc].label if loc in locations else f"location {loc}"

    def book(ed: int) -> str:
        return edition_label(editions[ed]) if ed in editions else f"edition {ed}"

    return [
        Discrepancy(place(loc), book(ed), cond, from_moves, in_balances)
        for (loc, ed, cond), from_moves, in_balances in problems
    ] + [
        Discrepancy(
            place(loc),
            book(ed),
            f"{metric} in the week of {week:%d %b %Y}",
            from_moves,
            in_rollup,
            where="the weekly roll-up",
        )
        for (week, loc, ed, metric), from_moves, in_rollup in flow_problems
    ]


def _differ(expected: dict, kept: dict) -> list[tuple]:
    """(key, from the moves, as kept) for each key whose figures differ, in key order."""
    return [
        (key, expected.get(key, 0), kept.get(key, 0))
        for key in sorted(expected.keys() | kept.keys())
        if expected.get(key, 0) != kept.get(key, 0)
    ]


def _balances_from_moves(session: Session) -> dict[tuple[int, int, str], int]:
    """Every balance as the moves give it, in one GROUP BY over both ends."""
    flows = union_all(
        select(
            Move.to_location_id.label("location_id"),
            Move.edition_id,
            Move.to_condition.label("condition"),
            Move.qty.label("qty"),
        ),
        select(
            Move.from_location_id.label("location_id"),
            Move.edition_id,
            Move.from_condition.label("condition"),
            (literal_column("0") - Move.qty).label("qty"),
        ),
    ).subquery()
    return {
        (row.location_id, row.edition_id, row.condition): int(row.total)
        for row in session.execute(
            select(
                flows.c.location_id,
                flows.c.edition_id,
                flows.c.condition,
                func.sum(flows.c.qty).label("total"),
            ).group_by(flows.c.location_id, flows.c.edition_id, flows.c.condition)
        )
    }


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


def balance(session: Session, location_id: int, edition_id: int, condition: str) -> int:
    qty = session.scalar(
        select(Balance.qty).where(
            Balance.location_id == location_id,
            Balance.edition_id == edition_id,
            Balance.condition == condition,
        )
    )
    return qty or 0
