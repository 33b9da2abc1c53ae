"""An index of the weekly roll-up by metric and week, covering what the dashboard reads
(the copies sold week by week, the flows of a period) so that it never reads the table.

Revision ID: bdb025c7e011
Revises: 6bd57d6f767f
Create Date: 2026-11-30 09:55:20+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "bdb025c7e011"
down_revision: str | Sequence[str] | None = "6bd57d6f767f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_weekly_flows_metric_week",
        "weekly_flows",
        ["metric", "week", "location_id", "edition_id", "qty"],
    )


def downgrade() -> None:
    op.drop_index("ix_weekly_flows_metric_week", table_name="weekly_flows")
