"""An index of an event's sales by when they happened: the event report pages through
them newest first and its export reads them in order, which with the index on the
event alone meant sorting every sale of the event at each page. It replaces that
index (its first column is the event).

Revision ID: f2868c217bba
Revises: 79c75bd751b5
Create Date: 2026-12-01 01:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f2868c217bba"
down_revision: str | Sequence[str] | None = "79c75bd751b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_sales_event_time", "sales", ["event_id", "sold_at", "document_id"])
    op.drop_index("ix_sales_event_id", table_name="sales")


def downgrade() -> None:
    op.create_index("ix_sales_event_id", "sales", ["event_id"])
    op.drop_index("ix_sales_event_time", table_name="sales")
