"""The dashboard's alerts: default thresholds in a one-row settings table, and a
section's own thresholds on the section.

Revision ID: 6bd57d6f767f
Revises: ea6e1a39056b
Create Date: 2026-11-30 09:06:35.226282+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6bd57d6f767f"
down_revision: str | Sequence[str] | None = "ea6e1a39056b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKS = {
    "alert_weeks_of_cover": (
        "alert_weeks_ok",
        "alert_weeks_of_cover IS NULL OR alert_weeks_of_cover >= 0",
    ),
    "alert_copies": ("alert_copies_ok", "alert_copies IS NULL OR alert_copies >= 0"),
}


def upgrade() -> None:
    settings = op.create_table(
        "settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("alert_weeks_of_cover", sa.Integer(), nullable=True),
        sa.Column("alert_copies", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "alert_copies IS NULL OR alert_copies >= 0", name=op.f("ck_settings_alert_copies_ok")
        ),
        sa.CheckConstraint(
            "alert_weeks_of_cover IS NULL OR alert_weeks_of_cover >= 0",
            name=op.f("ck_settings_alert_weeks_ok"),
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_settings_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings")),
    )
    assert settings is not None
    op.bulk_insert(settings, [{"id": 1, "alert_weeks_of_cover": 4, "alert_copies": 20}])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, (name, condition) in _CHECKS.items():
        if sqlite:
            # SQLite adds a column with its own CHECK; a table CHECK would mean copying
            # the table, which other tables' foreign keys point at.
            op.execute(
                f"ALTER TABLE sections ADD COLUMN {column} INTEGER "
                f"CONSTRAINT ck_sections_{name} CHECK ({condition})"
            )
        else:
            op.add_column("sections", sa.Column(column, sa.Integer(), nullable=True))
            op.create_check_constraint(op.f(f"ck_sections_{name}"), "sections", condition)


def downgrade() -> None:
    for column in reversed(list(_CHECKS)):
        op.drop_column("sections", column)
    op.drop_table("settings")
