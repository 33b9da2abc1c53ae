"""Imports: each file imported from a spreadsheet (its kind and the SHA-256 of its
bytes, unique together), so that the same file does not go in twice.

Revision ID: c9d5e3a1f7b6
Revises: b84e2d71c0a3
Create Date: 2026-12-01 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9d5e3a1f7b6"
down_revision: str | Sequence[str] | None = "b84e2d71c0a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The kinds as this revision knows them (revisions do not import the app).
KINDS = ("opening-stock", "sales", "shipments", "sections", "editions")


def upgrade() -> None:
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("made", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN ({kinds})", name=op.f("ck_imports_kind_known")),
        sa.CheckConstraint("rows >= 0", name=op.f("ck_imports_rows_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_imports_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        sa.UniqueConstraint("kind", "digest", name=op.f("uq_imports_kind_digest")),
    )


def downgrade() -> None:
    op.drop_table("imports")
