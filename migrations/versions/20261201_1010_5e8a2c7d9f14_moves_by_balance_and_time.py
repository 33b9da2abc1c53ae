"""Moves by balance and time: a posting dated in the past reads one balance's moves
after its date; these indexes give them (and their quantities) without reading the
table, so that the look into the past costs what happened at that balance since, not
at the whole place.

Revision ID: 5e8a2c7d9f14
Revises: c4d1a7e9b203
Create Date: 2026-12-01 10:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e8a2c7d9f14"
down_revision: str | Sequence[str] | None = "c4d1a7e9b203"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_moves_from_balance_occurred_at",
        "moves",
        ["from_location_id", "edition_id", "from_condition", "occurred_at", "qty"],
    )
    op.create_index(
        "ix_moves_to_balance_occurred_at",
        "moves",
        ["to_location_id", "edition_id", "to_condition", "occurred_at", "qty"],
    )


def downgrade() -> None:
    op.drop_index("ix_moves_to_balance_occurred_at", table_name="moves")
    op.drop_index("ix_moves_from_balance_occurred_at", table_name="moves")
