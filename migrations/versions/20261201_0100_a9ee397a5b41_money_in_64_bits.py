"""Amounts of money in 64 bits on PostgreSQL: prices, list prices and remittances were
INTEGER there, so a price times the copies of a receipt, summed in SQL, overflowed 32
bits (one receipt of 15,000 copies at PKR 1,500 made the dashboard fail for everyone).
SQLite's INTEGER is 64-bit already: nothing changes there.

The downgrade refuses when an amount would not fit 32 bits again.

Revision ID: a9ee397a5b41
Revises: 8d2e4b6c1a90
Create Date: 2026-12-01 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9ee397a5b41"
down_revision: str | Sequence[str] | None = "8d2e4b6c1a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    ("editions", "list_price_minor"),
    ("shipment_lines", "unit_price_minor"),
    ("sale_lines", "unit_price_minor"),
    ("section_prices", "price_minor"),
    ("remittances", "amount_minor"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(
            table, column, type_=sa.BigInteger(), existing_type=sa.Integer(), nullable=False
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        too_large = bind.execute(
            # Names from the list above, not from anyone's input.
            sa.text(f"SELECT count(*) FROM {table} WHERE abs({column}) > 2147483647")  # noqa: S608
        ).scalar()
        if too_large:
            raise RuntimeError(
                f"{too_large} row(s) of {table} have a {column} beyond 32 bits: "
                "the downgrade would lose them, so it stops here."
            )
        op.alter_column(
            table, column, type_=sa.Integer(), existing_type=sa.BigInteger(), nullable=False
        )
