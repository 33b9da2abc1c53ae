"""Dates on every document, and a past that adds up.

* ``documents.occurred_at``: when a document happened (its moves carry the same
  moment); filled from its first move, or from when it was recorded.
* ``balances.last_moved_at``: when the latest move in or out of a balance happened, so
  that a posting dated at or after it needs no look into the past.
* ``closed_months``: a section's months closed by an admin; ``settings.backdate_days``:
  how far back a typed date may go.
* ``tallies``: a paper tally typed in afterwards, which the sales or signings it stands
  for point at.

Revision ID: c4d1a7e9b203
Revises: 6f383b136ee4
Create Date: 2026-12-01 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4d1a7e9b203"
down_revision: str | Sequence[str] | None = "6f383b136ee4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIRST_MOVE = """
UPDATE documents SET occurred_at = COALESCE(
    (SELECT min(m.occurred_at) FROM moves m WHERE m.document_id = documents.id),
    created_at)
"""
_LAST_MOVE = """
UPDATE balances SET last_moved_at = (
    SELECT max(t.at) FROM (
        SELECT max(m.occurred_at) AS at FROM moves m
        WHERE m.from_location_id = balances.location_id
          AND m.edition_id = balances.edition_id AND m.from_condition = balances.condition
        UNION ALL
        SELECT max(m.occurred_at) AS at FROM moves m
        WHERE m.to_location_id = balances.location_id
          AND m.edition_id = balances.edition_id AND m.to_condition = balances.condition
    ) t)
"""


def upgrade() -> None:
    op.create_table(
        "closed_months",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_closed_months_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_closed_months_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("section_id", "month", name=op.f("pk_closed_months")),
    )
    op.create_table(
        "tallies",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('sales', 'signings')", name=op.f("ck_tallies_kind_known")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_tallies_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_tallies_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_tallies_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_tallies_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_tallies")),
    )
    with op.batch_alter_table("tallies") as batch:
        batch.create_index(batch.f("ix_tallies_event_id"), ["event_id"], unique=False)
        batch.create_index(batch.f("ix_tallies_location_id"), ["location_id"], unique=False)
        batch.create_index(batch.f("ix_tallies_section_id"), ["section_id"], unique=False)

    with op.batch_alter_table("balances") as batch:
        batch.add_column(sa.Column("last_moved_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(_LAST_MOVE)

    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(_FIRST_MOVE)
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("occurred_at", existing_type=sa.DateTime(timezone=True), nullable=False)

    for table in ("sales", "signings"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("tally_id", sa.Integer(), nullable=True))
            batch.create_index(batch.f(f"ix_{table}_tally_id"), ["tally_id"], unique=False)
            batch.create_foreign_key(
                batch.f(f"fk_{table}_tally_id_tallies"), "tallies", ["tally_id"], ["document_id"]
            )

    with op.batch_alter_table("settings") as batch:
        batch.add_column(sa.Column("backdate_days", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_settings_backdate_days_ok"), "backdate_days IS NULL OR backdate_days >= 1"
        )


def downgrade() -> None:
    with op.batch_alter_table("settings") as batch:
        batch.drop_constraint(op.f("ck_settings_backdate_days_ok"), type_="check")
        batch.drop_column("backdate_days")

    for table in ("signings", "sales"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(batch.f(f"fk_{table}_tally_id_tallies"), type_="foreignkey")
            batch.drop_index(batch.f(f"ix_{table}_tally_id"))
            batch.drop_column("tally_id")

    with op.batch_alter_table("documents") as batch:
        batch.drop_column("occurred_at")
    with op.batch_alter_table("balances") as batch:
        batch.drop_column("last_moved_at")

    with op.batch_alter_table("tallies") as batch:
        batch.drop_index(batch.f("ix_tallies_section_id"))
        batch.drop_index(batch.f("ix_tallies_location_id"))
        batch.drop_index(batch.f("ix_tallies_event_id"))
    op.drop_table("tallies")
    op.drop_table("closed_months")
