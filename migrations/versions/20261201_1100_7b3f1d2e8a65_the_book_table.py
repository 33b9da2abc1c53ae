"""The book table: what a sent key carried (a key reused with something else is
refused), the cash a reader handed over, and the cash counted when an event closed.

Revision ID: 7b3f1d2e8a65
Revises: 5e8a2c7d9f14
Create Date: 2026-12-01 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7b3f1d2e8a65"
down_revision: str | Sequence[str] | None = "5e8a2c7d9f14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As tracker.db's MinorUnits: 64 bits, an INTEGER on SQLite.
_MINOR = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("submission_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("sales") as batch:
        batch.add_column(sa.Column("tendered_minor", _MINOR, nullable=True))
        batch.create_check_constraint(
            op.f("ck_sales_tendered_ok"), "tendered_minor IS NULL OR tendered_minor >= 0"
        )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("counted_cash_minor", _MINOR, nullable=True))
        batch.create_check_constraint(
            op.f("ck_events_counted_ok"), "counted_cash_minor IS NULL OR counted_cash_minor >= 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("ck_events_counted_ok"), type_="check")
        batch.drop_column("counted_cash_minor")
    with op.batch_alter_table("sales") as batch:
        batch.drop_constraint(op.f("ck_sales_tendered_ok"), type_="check")
        batch.drop_column("tendered_minor")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("submission_digest")
