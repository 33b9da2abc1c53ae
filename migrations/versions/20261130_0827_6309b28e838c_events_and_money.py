"""Events, sales, signings and money: prices, remittances, exchange rates.

Receipts get the moment the copies arrived (firm-sale copies are owed from then).

Revision ID: 6309b28e838c
Revises: 27d5d74ebfa4
Create Date: 2026-11-30 08:27:02.413919+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6309b28e838c"
down_revision: str | Sequence[str] | None = "27d5d74ebfa4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_on", sa.Date(), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_exchange_rates_currency_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint(
            "currency", "valid_on", name=op.f("uq_exchange_rates_currency_valid_on")
        ),
    )
    op.create_table(
        "section_prices",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_section_prices_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_section_prices_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_section_prices_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("section_id", "edition_id", name=op.f("pk_section_prices")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("venue", sa.String(length=200), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("expected_attendance", sa.Integer(), nullable=True),
        sa.Column("actual_attendance", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('launch', 'school', 'festival', 'public_meeting', 'bookstall', 'reading_circle', 'other')",
            name=op.f("ck_events_kind_known"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_events_status_known")),
        sa.CheckConstraint(
            "actual_attendance IS NULL OR actual_attendance >= 0", name=op.f("ck_events_actual_ok")
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint(
            "expected_attendance IS NULL OR expected_attendance >= 0",
            name=op.f("ck_events_expected_ok"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_events_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_events_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("location_id", name=op.f("uq_events_location_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_section_id"), ["section_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_starts_on"), ["starts_on"], unique=False)

    op.create_table(
        "remittances",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_remittances_amount_positive")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_remittances_currency_length")),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["users.id"], name=op.f("fk_remittances_confirmed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_remittances_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_remittances_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_remittances")),
    )
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remittances_section_id"), ["section_id"], unique=False)

    op.create_table(
        "sales",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("payment_method", sa.String(length=16), nullable=False),
        sa.Column("buyer_name", sa.String(length=200), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("void_document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "payment_method IN ('cash', 'card', 'bank_transfer', 'other')",
            name=op.f("ck_sales_payment_method_known"),
        ),
        sa.CheckConstraint(
            "(voided_at IS NULL) = (void_reason IS NULL)", name=op.f("ck_sales_a_void_has_a_reason")
        ),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_sales_currency_length")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_sales_document_id_documents")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_sales_event_id_events")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_sales_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_sales_section_id_sections")
        ),
        sa.ForeignKeyConstraint(
            ["void_document_id"], ["documents.id"], name=op.f("fk_sales_void_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["voided_by_id"], ["users.id"], name=op.f("fk_sales_voided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_sales")),
    )
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sales_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_section_id"), ["section_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sales_sold_at"), ["sold_at"], unique=False)

    op.create_table(
        "signings",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_signings_qty_positive")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_signings_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_signings_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_signings_event_id_events")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_signings")),
    )
    with op.batch_alter_table("signings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signings_event_id"), ["event_id"], unique=False)

    op.create_table(
        "dedications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signing_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["signing_id"],
            ["signings.document_id"],
            name=op.f("fk_dedications_signing_id_signings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dedications")),
    )
    with op.batch_alter_table("dedications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dedications_signing_id"), ["signing_id"], unique=False)

    op.create_table(
        "sale_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sale_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=8), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "condition IN ('unsigned', 'signed')", name=op.f("ck_sale_lines_condition_known")
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_sale_lines_qty_positive")),
        sa.CheckConstraint("unit_price_minor >= 0", name=op.f("ck_sale_lines_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_sale_lines_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sales.document_id"], name=op.f("fk_sale_lines_sale_id_sales")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_lines")),
    )
    with op.batch_alter_table("sale_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_lines_edition_id"), ["edition_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sale_lines_sale_id"), ["sale_id"], unique=False)

    op.create_table(
        "signing_authors",
        sa.Column("signing_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_signing_authors_author_id_authors")
        ),
        sa.ForeignKeyConstraint(
            ["signing_id"],
            ["signings.document_id"],
            name=op.f("fk_signing_authors_signing_id_signings"),
        ),
        sa.PrimaryKeyConstraint("signing_id", "author_id", name=op.f("pk_signing_authors")),
    )
    with op.batch_alter_table("signing_authors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signing_authors_author_id"), ["author_id"], unique=False
        )

    # Receipts made before this revision arrived when they were recorded.
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE receipts SET received_at = "
        "(SELECT created_at FROM documents WHERE documents.id = receipts.document_id)"
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.alter_column(
            "received_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("received_at")

    with op.batch_alter_table("signing_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_authors_author_id"))

    op.drop_table("signing_authors")
    with op.batch_alter_table("sale_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_lines_sale_id"))
        batch_op.drop_index(batch_op.f("ix_sale_lines_edition_id"))

    op.drop_table("sale_lines")
    with op.batch_alter_table("dedications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dedications_signing_id"))

    op.drop_table("dedications")
    with op.batch_alter_table("signings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signings_event_id"))

    op.drop_table("signings")
    with op.batch_alter_table("sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sales_sold_at"))
        batch_op.drop_index(batch_op.f("ix_sales_section_id"))
        batch_op.drop_index(batch_op.f("ix_sales_event_id"))

    op.drop_table("sales")
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remittances_section_id"))

    op.drop_table("remittances")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_starts_on"))
        batch_op.drop_index(batch_op.f("ix_events_section_id"))

    op.drop_table("events")
    op.drop_table("section_prices")
    op.drop_table("exchange_rates")
