"""Accounts and the audit trail.

Users with roles; the audit log and the sections each entry concerns, which the
database refuses to change or delete (triggers); documents and moves now point at the
user who made them. On SQLite, adding that foreign key rebuilds the moves table, so its
immutability triggers are made again.

Revision ID: 84156fed628f
Revises: b19eec218977
Create Date: 2026-11-30 07:40:02.393633+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "84156fed628f"
down_revision: str | Sequence[str] | None = "b19eec218977"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("alt_id", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(role = 'treasurer') = (section_id IS NOT NULL)",
            name=op.f("ck_users_treasurers_have_a_section"),
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'distributor', 'treasurer', 'coordinator')",
            name=op.f("ck_users_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_users_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("alt_id", name=op.f("uq_users_alt_id")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_section_id"), ["section_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_log_kind_at", ["kind", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_sections",
        sa.Column("audit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit_log.id"], name=op.f("fk_audit_sections_audit_id_audit_log")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_audit_sections_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("audit_id", "section_id", name=op.f("pk_audit_sections")),
    )
    with op.batch_alter_table("audit_sections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_sections_section_id"), ["section_id"], unique=False
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_documents_created_by_id_users"), "users", ["created_by_id"], ["id"]
        )

    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_moves_created_by_id_users"), "users", ["created_by_id"], ["id"]
        )
    recreate_moves_triggers_on_sqlite()

    for table in ("audit_log", "audit_sections"):
        create_immutability_triggers(table)


def downgrade() -> None:
    for table in ("audit_log", "audit_sections"):
        drop_immutability_triggers(table)
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_moves_created_by_id_users"), type_="foreignkey")
    recreate_moves_triggers_on_sqlite()

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_documents_created_by_id_users"), type_="foreignkey")

    with op.batch_alter_table("audit_sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_sections_section_id"))

    op.drop_table("audit_sections")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_user_id"))
        batch_op.drop_index("ix_audit_log_kind_at")
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_section_id"))

    op.drop_table("users")


def create_immutability_triggers(table: str) -> None:
    message = f"{table} is append-only: nobody may change or delete its rows"
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute(
            f"CREATE FUNCTION {table}_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_update_or_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_is_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_is_append_only()"
        )


def drop_immutability_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_or_delete ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_is_append_only()")


MOVES_IMMUTABLE = "moves are immutable: correct a move by posting its reversal"


def recreate_moves_triggers_on_sqlite() -> None:
    """SQLite's batch mode copied the moves table into a new one, without its triggers."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"DROP TRIGGER IF EXISTS moves_no_{event.lower()}")
        op.execute(
            f"CREATE TRIGGER moves_no_{event.lower()} BEFORE {event} ON moves "
            f"BEGIN SELECT RAISE(ABORT, '{MOVES_IMMUTABLE}'); END"
        )
