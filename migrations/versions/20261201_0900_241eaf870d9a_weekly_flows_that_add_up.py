"""The weekly roll-up counts every way copies enter or leave a section's stock, so that
the dashboard's rows add up: losses in transit apart from write-offs (they never reached
the shelves), dispatches (a section's returns), transfers and stocktake differences.

The upgrade recounts those figures from the moves already posted, by the rules the
ledger applies at posting (frozen here, as a migration must be); the downgrade counts
losses in transit as written off again and drops the new figures.

Revision ID: 241eaf870d9a
Revises: f2868c217bba
Create Date: 2026-12-01 09:00:00+00:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "241eaf870d9a"
down_revision: str | Sequence[str] | None = "f2868c217bba"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = (
    "held_unsigned",
    "held_signed",
    "received",
    "sold_unsigned",
    "sold_signed",
    "signed",
    "written_off",
)
_NEW = (*_OLD, "lost_in_transit", "dispatched", "transferred", "counted")

_moves = sa.table(
    "moves",
    sa.column("id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("qty", sa.Integer),
    sa.column("edition_id", sa.Integer),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("from_location_id", sa.Integer),
    sa.column("to_location_id", sa.Integer),
    sa.column("reverses_id", sa.BigInteger),
)
_flows = sa.table(
    "weekly_flows",
    sa.column("week", sa.Date),
    sa.column("location_id", sa.Integer),
    sa.column("edition_id", sa.Integer),
    sa.column("metric", sa.String),
    sa.column("qty", sa.Integer),
)


def _check(metrics: tuple[str, ...]) -> str:
    return "metric IN (" + ", ".join(f"'{m}'" for m in metrics) + ")"


def upgrade() -> None:
    with op.batch_alter_table("weekly_flows") as batch:
        batch.drop_constraint(op.f("ck_weekly_flows_metric_known"), type_="check")
        batch.create_check_constraint(op.f("ck_weekly_flows_metric_known"), _check(_NEW))
    _recount(_counted_now)


def downgrade() -> None:
    op.execute(_flows.delete().where(_flows.c.metric.in_(_NEW[len(_OLD) :])))
    _recount(_counted_before)
    with op.batch_alter_table("weekly_flows") as batch:
        batch.drop_constraint(op.f("ck_weekly_flows_metric_known"), type_="check")
        batch.create_check_constraint(op.f("ck_weekly_flows_metric_known"), _check(_OLD))


# The kinds of move whose figures the two versions count differently.
_KINDS = ("write_off", "transit_loss", "dispatch", "transfer", "stocktake_gain", "stocktake_loss")


def _recount(counted) -> None:
    """Count again, from the moves of the kinds concerned (and their reversals), every
    figure that those kinds give under ``counted``."""
    bind = op.get_bind()
    original = _moves.alias("original")
    query = (
        sa.select(
            _moves.c.kind,
            _moves.c.qty,
            _moves.c.edition_id,
            _moves.c.occurred_at,
            _moves.c.from_location_id,
            _moves.c.to_location_id,
            original.c.kind,
        )
        .select_from(_moves.outerjoin(original, original.c.id == _moves.c.reverses_id))
        .where(sa.or_(_moves.c.kind.in_(_KINDS), original.c.kind.in_(_KINDS)))
    )
    totals: dict[tuple[date, int, int, str], int] = defaultdict(int)
    metrics: set[str] = set()
    for kind, qty, edition, occurred, source, target, undone in bind.execute(query):
        for metric, location, sign in counted(kind, source, target, undone):
            totals[(_week(occurred), location, edition, metric)] += sign * qty
    for kind in _KINDS:
        metrics |= {m for m, _l, _s in counted(kind, 0, 0)}
    bind.execute(_flows.delete().where(_flows.c.metric.in_(sorted(metrics))))
    rows = [
        {"week": w, "location_id": loc, "edition_id": ed, "metric": m, "qty": q}
        for (w, loc, ed, m), q in sorted(totals.items())
        if q
    ]
    for start in range(0, len(rows), 5000):
        bind.execute(_flows.insert(), rows[start : start + 5000])


def _week(moment: datetime) -> date:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _counted_now(kind, source, target, undone=None):
    if kind == "reversal":
        if undone is None:
            return []
        return [(m, loc, -sign) for m, loc, sign in _counted_now(undone, target, source)]
    if kind == "write_off":
        return [("written_off", target, 1)]
    if kind == "transit_loss":
        return [("lost_in_transit", target, 1)]
    if kind == "dispatch":
        return [("dispatched", source, 1)]
    if kind == "transfer":
        return [("transferred", target, 1), ("transferred", source, -1)]
    if kind == "stocktake_gain":
        return [("counted", target, 1)]
    if kind == "stocktake_loss":
        return [("counted", source, -1)]
    return []


def _counted_before(kind, source, target, undone=None):
    if kind == "reversal":
        if undone is None:
            return []
        return [(m, loc, -sign) for m, loc, sign in _counted_before(undone, target, source)]
    if kind in ("write_off", "transit_loss"):
        return [("written_off", target, 1)]
    return []
