"""The outbox of mails: queued with the change that causes them, sent later.

Revision ID: 5d1c3e7a9b24
Revises: a8c2e4f61b07
Create Date: 2026-12-01 13:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1c3e7a9b24"
down_revision: str | Sequence[str] | None = "a8c2e4f61b07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_mail_queue_attempts_not_negative")),
        sa.CheckConstraint(
            "sent_at IS NULL OR given_up_at IS NULL", name=op.f("ck_mail_queue_sent_or_given_up")
        ),
        sa.CheckConstraint(
            "(next_attempt_at IS NULL) = (sent_at IS NOT NULL OR given_up_at IS NOT NULL)",
            name=op.f("ck_mail_queue_waits_until_done"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_queue")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_queue_key")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_queue_message_id")),
    )
    op.create_index(
        op.f("ix_mail_queue_next_attempt_at"), "mail_queue", ["next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_queue_next_attempt_at"), table_name="mail_queue")
    op.drop_table("mail_queue")
