"""Foundation: catalogue, places and the ledger.

Moves are immutable: triggers refuse UPDATE and DELETE on them (and TRUNCATE on
PostgreSQL). A later migration that rebuilds the moves table in SQLite's batch mode must
create the triggers again.

Revision ID: b19eec218977
Revises: (none)
Create Date: 2026-11-30 07:13:26.491938+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b19eec218977"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("name", name=op.f("uq_authors_name")),
    )
    op.create_table(
        "countries",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.CheckConstraint("length(code) = 2", name=op.f("ck_countries_code_length")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_countries")),
        sa.UniqueConstraint("name", name=op.f("uq_countries_name")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_kind"), ["kind"], unique=False)

    op.create_table(
        "titles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("subtitle", sa.String(length=300), nullable=True),
        sa.Column("publisher", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_titles")),
    )
    op.create_table(
        "editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("isbn", sa.String(length=13), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("list_price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "format IN ('paperback', 'hardback')", name=op.f("ck_editions_format_known")
        ),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_editions_currency_length")),
        sa.CheckConstraint("length(isbn) = 13", name=op.f("ck_editions_isbn_length")),
        sa.CheckConstraint(
            "list_price_minor >= 0", name=op.f("ck_editions_list_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["title_id"], ["titles.id"], name=op.f("fk_editions_title_id_titles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editions")),
        sa.UniqueConstraint("isbn", name=op.f("uq_editions_isbn")),
    )
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_editions_title_id"), ["title_id"], unique=False)

    op.create_table(
        "sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_sections_currency_length")),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_sections_country_code_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sections")),
        sa.UniqueConstraint("name", name=op.f("uq_sections_name")),
    )
    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sections_country_code"), ["country_code"], unique=False
        )

    op.create_table(
        "title_authors",
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_title_authors_author_id_authors")
        ),
        sa.ForeignKeyConstraint(
            ["title_id"],
            ["titles.id"],
            name=op.f("fk_title_authors_title_id_titles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("title_id", "author_id", name=op.f("pk_title_authors")),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "kind <> 'warehouse' OR section_id IS NULL",
            name=op.f("ck_locations_warehouse_has_no_section"),
        ),
        sa.CheckConstraint(
            "kind IN ('warehouse', 'section_store', 'event_table', 'printer', 'in_transit', 'customers', 'written_off', 'stocktake_differences')",
            name=op.f("ck_locations_kind_known"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('section_store', 'event_table') OR section_id IS NOT NULL",
            name=op.f("ck_locations_section_places_have_section"),
        ),
        sa.ForeignKeyConstraint(
            ["section_id"], ["sections.id"], name=op.f("fk_locations_section_id_sections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("code", name=op.f("uq_locations_code")),
    )
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_locations_section_id"), ["section_id"], unique=False)

    op.create_table(
        "balances",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=8), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("is_source", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "condition IN ('unsigned', 'signed')", name=op.f("ck_balances_condition_known")
        ),
        sa.CheckConstraint("is_source OR qty >= 0", name=op.f("ck_balances_not_negative")),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_balances_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_balances_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("location_id", "edition_id", "condition", name=op.f("pk_balances")),
    )
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_balances_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "moves",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("from_condition", sa.String(length=8), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("to_condition", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "from_condition IN ('unsigned', 'signed')", name=op.f("ck_moves_from_condition_known")
        ),
        sa.CheckConstraint(
            "to_condition IN ('unsigned', 'signed')", name=op.f("ck_moves_to_condition_known")
        ),
        sa.CheckConstraint(
            "from_location_id <> to_location_id OR from_condition <> to_condition",
            name=op.f("ck_moves_goes_somewhere"),
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_moves_qty_positive")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_moves_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_moves_edition_id_editions")
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"], name=op.f("fk_moves_from_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["moves.id"], name=op.f("fk_moves_reverses_id_moves")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["locations.id"], name=op.f("fk_moves_to_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moves")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_moves_reverses_id")),
    )
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_moves_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_moves_edition_id"), ["edition_id"], unique=False)
        batch_op.create_index(
            "ix_moves_from_location_id_occurred_at",
            ["from_location_id", "occurred_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_moves_kind_occurred_at", ["kind", "occurred_at"], unique=False)
        batch_op.create_index(
            "ix_moves_to_location_id_occurred_at",
            ["to_location_id", "occurred_at", "id"],
            unique=False,
        )

    create_immutability_triggers()


def downgrade() -> None:
    drop_immutability_triggers()
    with op.batch_alter_table("moves", schema=None) as batch_op:
        batch_op.drop_index("ix_moves_to_location_id_occurred_at")
        batch_op.drop_index("ix_moves_kind_occurred_at")
        batch_op.drop_index("ix_moves_from_location_id_occurred_at")
        batch_op.drop_index(batch_op.f("ix_moves_edition_id"))
        batch_op.drop_index(batch_op.f("ix_moves_document_id"))

    op.drop_table("moves")
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_balances_edition_id"))

    op.drop_table("balances")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_locations_section_id"))

    op.drop_table("locations")
    op.drop_table("title_authors")
    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sections_country_code"))

    op.drop_table("sections")
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_editions_title_id"))

    op.drop_table("editions")
    op.drop_table("titles")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_kind"))

    op.drop_table("documents")
    op.drop_table("countries")
    op.drop_table("authors")


IMMUTABLE = "moves are immutable: correct a move by posting its reversal"


def create_immutability_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER moves_no_{event.lower()} BEFORE {event} ON moves "
                f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION moves_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{IMMUTABLE}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER moves_no_update_or_delete BEFORE UPDATE OR DELETE ON moves "
            "FOR EACH ROW EXECUTE FUNCTION moves_are_immutable()"
        )
        op.execute(
            "CREATE TRIGGER moves_no_truncate BEFORE TRUNCATE ON moves "
            "FOR EACH STATEMENT EXECUTE FUNCTION moves_are_immutable()"
        )


def drop_immutability_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS moves_no_update")
        op.execute("DROP TRIGGER IF EXISTS moves_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS moves_no_truncate ON moves")
        op.execute("DROP TRIGGER IF EXISTS moves_no_update_or_delete ON moves")
        op.execute("DROP FUNCTION IF EXISTS moves_are_immutable()")
