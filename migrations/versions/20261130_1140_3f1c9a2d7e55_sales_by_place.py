"""An index of sales by place, newest first: the sale screen reads a place's tally and
last sale at every sale, which without it meant reading every sale ever made.

Revision ID: 3f1c9a2d7e55
Revises: bdb025c7e011
Create Date: 2026-11-30 11:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3f1c9a2d7e55"
down_revision: str | Sequence[str] | None = "bdb025c7e011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sales_location_newest", "sales", ["location_id", "document_id"])


def downgrade() -> None:
    op.drop_index("ix_sales_location_newest", table_name="sales")
