"""The catalogue's pages: an edition may be archived (no longer offered where editions
are chosen) and may have list prices in other currencies than its main one; one title
of a name per publisher.

Revision ID: 3d9b6f2c1e47
Revises: 547c9b084f9f
Create Date: 2026-12-01 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3d9b6f2c1e47"
down_revision: str | Sequence[str] | None = "547c9b084f9f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As tracker.db's MinorUnits: 64 bits, an INTEGER on SQLite.
_MINOR = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index("ix_titles_name_publisher", "titles", ["name", "publisher"], unique=True)
    # A plain ADD COLUMN (no table copied on SQLite): the column carries no constraint.
    op.add_column(
        "editions",
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table(
        "edition_list_prices",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("price_minor", _MINOR, nullable=False),
        sa.CheckConstraint(
            "price_minor >= 0", name=op.f("ck_edition_list_prices_price_not_negative")
        ),
        sa.CheckConstraint(
            "length(currency) = 3", name=op.f("ck_edition_list_prices_currency_length")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name=op.f("fk_edition_list_prices_edition_id_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("edition_id", "currency", name=op.f("pk_edition_list_prices")),
    )


def downgrade() -> None:
    op.drop_table("edition_list_prices")
    op.drop_column("editions", "active")
    op.drop_index("ix_titles_name_publisher", table_name="titles")
