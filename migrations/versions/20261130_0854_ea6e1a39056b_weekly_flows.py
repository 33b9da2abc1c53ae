"""The weekly roll-up: copies received, sold, signed and written off per week and place.

Kept with every posting, like the balances, so that the dashboard's figures over a
period never sum the whole ledger. The upgrade fills it from the moves already posted,
by the rules the ledger applies at posting (frozen here, as a migration must be).

Revision ID: ea6e1a39056b
Revises: 6309b28e838c
Create Date: 2026-11-30 08:54:07.452038+00:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "ea6e1a39056b"
down_revision: str | Sequence[str] | None = "6309b28e838c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_moves = sa.table(
    "moves",
    sa.column("id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("qty", sa.Integer),
    sa.column("edition_id", sa.Integer),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("from_location_id", sa.Integer),
    sa.column("from_condition", sa.String),
    sa.column("to_location_id", sa.Integer),
    sa.column("to_condition", sa.String),
    sa.column("reverses_id", sa.BigInteger),
)


def upgrade() -> None:
    flows = op.create_table(
        "weekly_flows",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "metric IN ('held_unsigned', 'held_signed', 'received', 'sold_unsigned', "
            "'sold_signed', 'signed', 'written_off')",
            name=op.f("ck_weekly_flows_metric_known"),
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_weekly_flows_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_weekly_flows_location_id_locations")
        ),
        sa.PrimaryKeyConstraint(
            "week", "location_id", "edition_id", "metric", name=op.f("pk_weekly_flows")
        ),
    )
    assert flows is not None
    _backfill(flows)


def downgrade() -> None:
    op.drop_table("weekly_flows")


def _backfill(flows: sa.Table) -> None:
    bind = op.get_bind()
    original = _moves.alias("original")
    query = sa.select(
        _moves.c.kind,
        _moves.c.qty,
        _moves.c.edition_id,
        _moves.c.occurred_at,
        _moves.c.from_location_id,
        _moves.c.from_condition,
        _moves.c.to_location_id,
        _moves.c.to_condition,
        original.c.kind,
    ).select_from(_moves.outerjoin(original, original.c.id == _moves.c.reverses_id))
    totals: dict[tuple[date, int, int, str], int] = defaultdict(int)
    for kind, qty, edition, occurred, source, s_cond, target, t_cond, undone in bind.execute(query):
        week = _week(occurred)
        totals[(week, source, edition, f"held_{s_cond}")] -= qty
        totals[(week, target, edition, f"held_{t_cond}")] += qty
        for metric, location, sign in _counted(kind, source, s_cond, target, t_cond, undone):
            totals[(week, location, edition, metric)] += sign * qty
    rows = [
        {"week": w, "location_id": loc, "edition_id": ed, "metric": m, "qty": q}
        for (w, loc, ed, m), q in sorted(totals.items())
        if q
    ]
    for start in range(0, len(rows), 5000):
        bind.execute(flows.insert(), rows[start : start + 5000])


def _week(moment: datetime) -> date:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _counted(kind, source, s_cond, target, t_cond, undone=None):
    if kind == "reversal":
        if undone is None:
            return []
        found = _counted(undone, target, t_cond, source, s_cond)
        return [(metric, location, -sign) for metric, location, sign in found]
    if kind in ("receipt", "print_run"):
        return [("received", target, 1)]
    if kind == "sale":
        return [(f"sold_{t_cond}", target, 1)]
    if kind == "customer_return":
        return [(f"sold_{s_cond}", source, -1)]
    if kind in ("write_off", "transit_loss"):
        return [("written_off", target, 1)]
    if kind == "signing":
        return [("signed", target, 1)]
    return []
