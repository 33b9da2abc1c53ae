"""An event remembers the one-time key of the form that made it, so that the same form
sent twice makes one event (and one table), as every document already does.

Revision ID: 6f383b136ee4
Revises: 241eaf870d9a
Create Date: 2026-12-01 09:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6f383b136ee4"
down_revision: str | Sequence[str] | None = "241eaf870d9a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f("uq_events_submission_key"), ["submission_key"])


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("uq_events_submission_key"), type_="unique")
        batch.drop_column("submission_key")
