"""Distribution documents: shipments and receipts, transfers, write-offs, stocktakes.

Documents get a one-time submission key (unique: a form sent twice makes one
document); locations get an address for packing slips.

Revision ID: 27d5d74ebfa4
Revises: 84156fed628f
Create Date: 2026-11-30 08:05:24.158828+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "27d5d74ebfa4"
down_revision: str | Sequence[str] | None = "84156fed628f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("transit_location_id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("carrier", sa.String(length=100), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatched_by_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "direction IN ('outbound', 'return')", name=op.f("ck_shipments_direction_known")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'dispatched', 'partly_received', 'received', 'cancelled')",
            name=op.f("ck_shipments_status_known"),
        ),
        sa.CheckConstraint(
            "terms IN ('firm_sale', 'sale_or_return')", name=op.f("ck_shipments_terms_known")
        ),
        sa.CheckConstraint(
            "from_location_id <> to_location_id", name=op.f("ck_shipments_goes_somewhere")
        ),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_shipments_currency_length")),
        sa.ForeignKeyConstraint(
            ["dispatched_by_id"], ["users.id"], name=op.f("fk_shipments_dispatched_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_shipments_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_shipments_from_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_shipments_section_id_sections")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_shipments_to_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["transit_location_id"],
            ["locations.id"],
            name=op.f("fk_shipments_transit_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipments_dispatched_at"), ["dispatched_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shipments_section_id"), ["section_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_status"), ["status"], unique=False)

    op.create_table(
        "stocktakes",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("blind", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_stocktakes_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_stocktakes_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_stocktakes")),
    )
    with op.batch_alter_table("stocktakes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stocktakes_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "transfers",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "from_location_id <> to_location_id", name=op.f("ck_transfers_goes_somewhere")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_transfers_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_transfers_from_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_transfers_to_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_transfers")),
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transfers_from_location_id"), ["from_location_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_transfers_to_location_id"), ["to_location_id"], unique=False
        )

    op.create_table(
        "write_offs",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "reason IN ('damaged', 'lost', 'gift', 'review_copy')",
            name=op.f("ck_write_offs_reason_known"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_write_offs_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_write_offs_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_write_offs")),
    )
    with op.batch_alter_table("write_offs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_write_offs_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "receipts",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_receipts_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.document_id"],
            name=op.f("fk_receipts_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_receipts")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_shipment_id"), ["shipment_id"], unique=False)

    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("received_qty", sa.Integer(), nullable=False),
        sa.Column("damaged_qty", sa.Integer(), nullable=False),
        sa.Column("missing_qty", sa.Integer(), nullable=False),
        sa.CheckConstraint("qty > 0", name=op.f("ck_shipment_lines_qty_positive")),
        sa.CheckConstraint(
            "received_qty + damaged_qty + missing_qty <= qty",
            name=op.f("ck_shipment_lines_not_over_received"),
        ),
        sa.CheckConstraint(
            "received_qty >= 0 AND damaged_qty >= 0 AND missing_qty >= 0",
            name=op.f("ck_shipment_lines_counts_not_negative"),
        ),
        sa.CheckConstraint(
            "unit_price_minor >= 0", name=op.f("ck_shipment_lines_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_shipment_lines_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.document_id"],
            name=op.f("fk_shipment_lines_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
        sa.UniqueConstraint(
            "shipment_id", "edition_id", name=op.f("uq_shipment_lines_shipment_id_edition_id")
        ),
    )
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_lines_shipment_id"), ["shipment_id"], unique=False
        )

    op.create_table(
        "stocktake_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stocktake_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=8), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "condition IN ('unsigned', 'signed')", name=op.f("ck_stocktake_lines_condition_known")
        ),
        sa.CheckConstraint("counted >= 0", name=op.f("ck_stocktake_lines_counted_not_negative")),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_stocktake_lines_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktakes.document_id"],
            name=op.f("fk_stocktake_lines_stocktake_id_stocktakes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_lines")),
        sa.UniqueConstraint(
            "stocktake_id",
            "edition_id",
            "condition",
            name=op.f("uq_stocktake_lines_stocktake_id_edition_id_condition"),
        ),
    )
    with op.batch_alter_table("stocktake_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stocktake_lines_stocktake_id"), ["stocktake_id"], unique=False
        )

    op.create_table(
        "receipt_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("shipment_line_id", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("damaged", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "reason IS NULL OR reason IN ('damaged_in_transit', 'missing', 'held_by_customs', 'other')",
            name=op.f("ck_receipt_lines_reason_known"),
        ),
        sa.CheckConstraint(
            "(damaged = 0 AND missing = 0) OR reason IS NOT NULL",
            name=op.f("ck_receipt_lines_discrepancy_has_reason"),
        ),
        sa.CheckConstraint(
            "received + damaged + missing > 0", name=op.f("ck_receipt_lines_something")
        ),
        sa.CheckConstraint(
            "received >= 0 AND damaged >= 0 AND missing >= 0",
            name=op.f("ck_receipt_lines_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipts.document_id"],
            name=op.f("fk_receipt_lines_receipt_id_receipts"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_line_id"],
            ["shipment_lines.id"],
            name=op.f("fk_receipt_lines_shipment_line_id_shipment_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_lines")),
    )
    with op.batch_alter_table("receipt_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_lines_receipt_id"), ["receipt_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_receipt_lines_shipment_line_id"), ["shipment_line_id"], unique=False
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_documents_submission_key"), ["submission_key"]
        )

    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("address")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_documents_submission_key"), type_="unique")
        batch_op.drop_column("submission_key")

    with op.batch_alter_table("receipt_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipt_lines_shipment_line_id"))
        batch_op.drop_index(batch_op.f("ix_receipt_lines_receipt_id"))

    op.drop_table("receipt_lines")
    with op.batch_alter_table("stocktake_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktake_lines_stocktake_id"))

    op.drop_table("stocktake_lines")
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_lines_shipment_id"))

    op.drop_table("shipment_lines")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_shipment_id"))

    op.drop_table("receipts")
    with op.batch_alter_table("write_offs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_write_offs_location_id"))

    op.drop_table("write_offs")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_to_location_id"))
        batch_op.drop_index(batch_op.f("ix_transfers_from_location_id"))

    op.drop_table("transfers")
    with op.batch_alter_table("stocktakes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stocktakes_location_id"))

    op.drop_table("stocktakes")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_status"))
        batch_op.drop_index(batch_op.f("ix_shipments_section_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_dispatched_at"))

    op.drop_table("shipments")
