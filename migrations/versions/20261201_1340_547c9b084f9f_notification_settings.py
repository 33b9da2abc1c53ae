"""Notification settings: each person's switch for each kind of mail the tracker sends
them (no row: the kind is on).

Revision ID: 547c9b084f9f
Revises: e224fa6f14c9
Create Date: 2026-12-01 13:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "547c9b084f9f"
down_revision: str | Sequence[str] | None = "e224fa6f14c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds as this revision knows them (revisions do not import the app).
KINDS = ("shipment_dispatched", "shipment_overdue", "receipt_discrepancy", "weekly_digest")


def upgrade() -> None:
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_notification_settings_kind_known")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_settings_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_settings")),
    )


def downgrade() -> None:
    op.drop_table("notification_settings")
