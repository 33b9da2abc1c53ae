"""Sections from the browser: a contact (name, email, phone) for each section, and
archived sections (offered nowhere new, kept in history and reports).

Revision ID: d3b7f0a5c912
Revises: 3d9b6f2c1e47
Create Date: 2026-12-01 13:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3b7f0a5c912"
down_revision: str | Sequence[str] | None = "3d9b6f2c1e47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD and DROP COLUMN (no table copied on SQLite): these columns carry no
# constraint, and a copy would lose the names of the table's CHECK constraints, which
# earlier downgrades drop by name.


def upgrade() -> None:
    op.add_column("sections", sa.Column("contact_name", sa.String(length=200), nullable=True))
    op.add_column("sections", sa.Column("contact_email", sa.String(length=254), nullable=True))
    op.add_column("sections", sa.Column("contact_phone", sa.String(length=40), nullable=True))
    op.add_column(
        "sections",
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("sections", "archived")
    op.drop_column("sections", "contact_phone")
    op.drop_column("sections", "contact_email")
    op.drop_column("sections", "contact_name")
