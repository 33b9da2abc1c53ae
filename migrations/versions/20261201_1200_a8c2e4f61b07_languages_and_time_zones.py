"""Languages and time zones: the language a person chose, each section's language and
time zone (IANA), and an edition's own title in its own language and script.

Revision ID: a8c2e4f61b07
Revises: 7b3f1d2e8a65
Create Date: 2026-12-01 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a8c2e4f61b07"
down_revision: str | Sequence[str] | None = "7b3f1d2e8a65"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD and DROP COLUMN (no table copied on SQLite): these columns carry no
# constraint, and a copy would lose the names of the table's CHECK constraints, which
# earlier downgrades drop by name.


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(length=16), nullable=True))
    op.add_column(
        "sections",
        sa.Column("language", sa.String(length=16), server_default="en", nullable=False),
    )
    op.add_column(
        "sections",
        sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False),
    )
    op.add_column("editions", sa.Column("own_title", sa.String(length=300), nullable=True))


def downgrade() -> None:
    op.drop_column("editions", "own_title")
    op.drop_column("sections", "time_zone")
    op.drop_column("sections", "language")
    op.drop_column("users", "language")
