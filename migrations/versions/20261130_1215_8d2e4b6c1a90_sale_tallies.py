"""What each place has sold, by payment method, kept with every sale and void: the sale
screen shows it after every sale, and adding up every sale ever made at the place each
time grew with them. The upgrade fills it from the sales already recorded.

Revision ID: 8d2e4b6c1a90
Revises: 3f1c9a2d7e55
Create Date: 2026-11-30 12:15:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d2e4b6c1a90"
down_revision: str | Sequence[str] | None = "3f1c9a2d7e55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_sales = sa.table(
    "sales",
    sa.column("document_id", sa.Integer),
    sa.column("location_id", sa.Integer),
    sa.column("payment_method", sa.String),
    sa.column("voided_at", sa.DateTime(timezone=True)),
)
_lines = sa.table(
    "sale_lines",
    sa.column("sale_id", sa.Integer),
    sa.column("qty", sa.Integer),
    sa.column("unit_price_minor", sa.Integer),
)


def upgrade() -> None:
    tallies = op.create_table(
        "sale_tallies",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("payment_method", sa.String(length=16), nullable=False),
        sa.Column("sales", sa.Integer(), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "payment_method IN ('cash', 'card', 'bank_transfer', 'other')",
            name=op.f("ck_sale_tallies_payment_method_known"),
        ),
        sa.CheckConstraint(
            "sales >= 0 AND copies >= 0 AND amount_minor >= 0",
            name=op.f("ck_sale_tallies_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_sale_tallies_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("location_id", "payment_method", name=op.f("pk_sale_tallies")),
    )
    assert tallies is not None
    # One row per sale with its copies and amount, then one per place and method.
    per_sale = (
        sa.select(
            _sales.c.location_id,
            _sales.c.payment_method,
            sa.func.sum(_lines.c.qty).label("copies"),
            sa.func.sum(_lines.c.qty * _lines.c.unit_price_minor).label("amount"),
        )
        .join(_lines, _lines.c.sale_id == _sales.c.document_id)
        .where(_sales.c.voided_at.is_(None))
        .group_by(_sales.c.document_id, _sales.c.location_id, _sales.c.payment_method)
        .subquery()
    )
    op.get_bind().execute(
        tallies.insert().from_select(
            ["location_id", "payment_method", "sales", "copies", "amount_minor"],
            sa.select(
                per_sale.c.location_id,
                per_sale.c.payment_method,
                sa.func.count(),
                sa.func.sum(per_sale.c.copies),
                sa.func.sum(per_sale.c.amount),
            ).group_by(per_sale.c.location_id, per_sale.c.payment_method),
        )
    )


def downgrade() -> None:
    op.drop_table("sale_tallies")
