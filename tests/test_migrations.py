"""Migrations: an empty database upgraded to head has exactly the models' schema, on both
engines; every revision goes down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

# Registers every table on the metadata.
import tracker.models  # noqa: F401
from tracker import migrate
from tracker.db import Base, make_engine
from tracker.queries import events as event_queries


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _triggers(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            else:
                query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            return set(connection.execute(text(query)).scalars())
    finally:
        engine.dispose()


def test_upgrade_to_head_gives_the_models_schema(database):
    url = database.fresh(migrated=False)
    assert _tables(url) == set()
    migrate.upgrade(url)
    assert _differences(url) == []
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}
    # Alembic's own check agrees: nothing to autogenerate.
    command.check(migrate.alembic_config(url))
    assert {"moves_no_update", "moves_no_delete"} <= _triggers(url) or {
        "moves_no_update_or_delete",
        "moves_no_truncate",
    } <= _triggers(url)


def test_downgrade_to_base_and_up_again(database):
    url = database.fresh(migrated=False)
    migrate.upgrade(url)
    migrate.downgrade(url, "base", force=True)
    assert _tables(url) == {"alembic_version"}
    assert _triggers(url) == set()
    migrate.upgrade(url)
    assert _differences(url) == []


def test_each_revision_goes_down_and_up(database):
    url = database.fresh(migrated=False)
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        migrate.upgrade(url, revision)
        migrate.downgrade(url, "-1", force=True)
        migrate.upgrade(url, revision)
    assert _differences(url) == []


def test_revision_files_have_dated_names():
    from config import Config

    names = sorted(p.name for p in (Config.MIGRATIONS_DIR / "versions").glob("*.py"))
    assert names and all(n[:8].isdigit() and n[8] == "_" for n in names)


def test_weekly_roll_up_is_filled_from_the_moves_already_posted(database):
    """Upgrading a ledger that has moves but no roll-up fills the roll-up exactly as
    posting would have kept it (receipts, sales, signings, write-offs, reversals)."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from tests.factories import World
    from tracker import ledger
    from tracker.models import Document, Move, WeeklyFlow

    url = database.fresh()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            world = World.build(session).stocked(100)
            world.post("signing", 10, "GB-STORE", "GB-STORE", to_condition="signed")
            world.post("sale", 4, "GB-STORE", "GB-CUSTOMERS", condition="signed")
            world.post("sale", 7, "GB-STORE", "GB-CUSTOMERS")
            world.post("customer_return", 2, "GB-CUSTOMERS", "GB-STORE")
            world.post("write_off", 3, "GB-STORE", "GB-WRITTEN-OFF")
            sale = session.scalar(select(Move.id).where(Move.kind == "sale").limit(1))
            ledger.reverse(session, [sale], Document(kind="correction"))
            session.commit()
            # A figure that came back to nought keeps its row; the upgrade makes none.
            kept = sorted(
                (metric, qty)
                for metric, qty in session.execute(select(WeeklyFlow.metric, WeeklyFlow.qty))
                if qty
            )

        migrate.downgrade(url, "6309b28e838c", force=True)
        assert "weekly_flows" not in _tables(url)
        migrate.upgrade(url)
        with Session(engine) as session:
            filled = sorted(session.execute(select(WeeklyFlow.metric, WeeklyFlow.qty)).all())
            assert filled == kept
            assert {m for m, _ in filled} >= {"received", "signed", "sold_unsigned", "written_off"}
            assert session.scalar(select(func.count()).select_from(WeeklyFlow)) > 0
            assert ledger.check(session) == []
    finally:
        engine.dispose()


def test_sale_tallies_are_filled_from_the_sales_already_recorded(database):
    """Upgrading a database that has sales but no tallies fills them exactly as the sales
    and voids would have kept them."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tests.factories import World
    from tracker.models import SaleTally
    from tracker.services import sales as sales_service
    from tracker.services.sales import SaleItem

    url = database.fresh()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            world = World.build(session).stocked(100)
            store = world.loc("GB-STORE").id
            sales = [
                sales_service.sell(
                    session,
                    None,
                    location_id=store,
                    items=[SaleItem(world.edition.id, qty, unit_price=price)],
                    payment_method=method,
                )
                for qty, method, price in ((2, "cash", None), (1, "card", "9.99"), (3, "cash", "0"))
            ]
            sales_service.void_sale(session, None, sales[1].id, "test")
            session.commit()
            kept = sorted(session.execute(select(SaleTally.__table__)).all())
            assert kept == [(store, "card", 0, 0, 0), (store, "cash", 2, 5, 5000)]

        migrate.downgrade(url, "3f1c9a2d7e55", force=True)
        assert "sale_tallies" not in _tables(url)
        migrate.upgrade(url)
        with Session(engine) as session:
            filled = sorted(session.execute(select(SaleTally.__table__)).all())
            # A method whose sales were all voided keeps its row at nought; the upgrade
            # makes none.
            assert filled == [row for row in kept if row.sales]
            assert event_queries.tally(session, store)["total"] == 5000
    finally:
        engine.dispose()


# -- the command line: relative revisions, data that a downgrade would lose ---------------


def _head_and_previous() -> tuple[str, str]:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    (head,) = script.get_heads()
    return head, script.get_revision(head).down_revision


def _cli(url: str):
    from config import TestConfig
    from tracker import create_app

    app = create_app(TestConfig, {"DATABASE_URL": url})
    return app, app.test_cli_runner()


def test_downgrade_minus_one_from_the_command_line(database):
    """`tracker db downgrade -1` goes one step down (click took "-1" for an option)."""
    head, previous = _head_and_previous()
    app, runner = _cli(database.fresh())
    try:
        result = runner.invoke(args=["db", "downgrade", "-1"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"Database at {previous}."
        assert runner.invoke(args=["db", "upgrade", "+1"]).output.strip() == f"Database at {head}."
    finally:
        app.extensions["tracker.db"].engine.dispose()


def _count_rows(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
    finally:
        engine.dispose()


def test_a_downgrade_that_would_delete_data_is_refused_unless_forced(database):
    """Going down past the revisions that made sale_tallies and the audit chain would
    drop them with their rows: refused, with the tables and their rows named, and
    nothing changed; --force goes down."""
    from sqlalchemy.orm import Session

    from tests.factories import World
    from tracker.services import sales as sales_service
    from tracker.services.sales import SaleItem

    url = database.fresh()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            world = World.build(session).stocked(20)
            sales_service.sell(
                session,
                None,
                location_id=world.loc("GB-STORE").id,
                items=[SaleItem(world.edition.id, 2)],
                payment_method="cash",
            )
            session.commit()
    finally:
        engine.dispose()
    head, _ = _head_and_previous()
    links = _count_rows(url, "audit_chain")
    assert links > 0 and _count_rows(url, "sale_tallies") == 1

    app, runner = _cli(url)
    try:
        result = runner.invoke(args=["db", "downgrade", "3f1c9a2d7e55"])
        assert result.exit_code == 1
        (line,) = result.output.strip().splitlines()
        assert line.startswith("Error: The downgrade would delete data: ")
        assert f"table audit_chain ({links:,} rows)" in line
        assert "table sale_tallies (1 row)" in line
        assert line.endswith("Nothing was changed; add --force to downgrade anyway.")
        assert "Traceback" not in result.output
        assert runner.invoke(args=["db", "current"]).output.startswith(f"{head} (newest)")
        assert _count_rows(url, "sale_tallies") == 1
        assert _count_rows(url, "audit_chain") == links

        result = runner.invoke(args=["db", "downgrade", "--force", "3f1c9a2d7e55"])
        assert result.exit_code == 0 and "Database at 3f1c9a2d7e55." in result.output
        assert not {"sale_tallies", "audit_chain"} & _tables(url)
    finally:
        app.extensions["tracker.db"].engine.dispose()


def test_a_downgrade_that_would_delete_a_column_with_values_is_refused(database):
    """Columns count too: a section's own alert thresholds go with the revision that
    made them."""
    from sqlalchemy.orm import Session

    from tests.factories import World

    url = database.fresh()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            World.build(session)
            session.execute(text("UPDATE sections SET alert_copies = 5 WHERE country_code = 'GB'"))
            session.commit()
    finally:
        engine.dispose()
    with pytest.raises(migrate.DataLoss) as refused:
        migrate.downgrade(url, "ea6e1a39056b")
    assert migrate.Loss("sections", "alert_copies", 1) in refused.value.losses
    assert "column sections.alert_copies (1 row with a value)" in str(refused.value)
    assert "alert_weeks_of_cover" not in str(refused.value)  # no section has one
    assert "settings" in _tables(url)


# -- a migration that breaks foreign keys is rolled back ----------------------------------

BROKEN_REVISION = '''"""A revision that leaves a foreign key pointing nowhere.

Revision ID: 0badf00d0001
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "0badf00d0001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "broken_children",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("section_id", sa.Integer(), sa.ForeignKey("sections.id"), nullable=False),
    )
    op.execute("INSERT INTO broken_children (id, section_id) VALUES (1, 999999)")


def downgrade():
    op.drop_table("broken_children")
'''


def test_a_migration_that_breaks_foreign_keys_is_rolled_back(database, tmp_path, monkeypatch):
    """SQLite copies tables with foreign keys off, so a revision can leave a dangling
    key; the check runs before the commit and the whole upgrade is rolled back (on
    PostgreSQL the key is refused at once). Either way the database stays as it was."""
    import shutil

    from config import Config

    head, _ = _head_and_previous()
    scripts = tmp_path / "migrations"
    shutil.copytree(Config.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "20991231_0000_0badf00d0001_broken.py").write_text(
        BROKEN_REVISION.format(head=head)
    )
    monkeypatch.setattr(Config, "MIGRATIONS_DIR", scripts)

    url = database.fresh()
    app, runner = _cli(url)
    try:
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code != 0
        if database.is_postgresql:
            (line,) = result.output.strip().splitlines()
            assert line.startswith("Error: The migration failed and was rolled back")
            assert "foreign key" in line
        else:
            assert result.output.strip() == (
                "Error: The migration would leave 1 broken foreign key "
                "(broken_children -> sections); it was rolled back and nothing was changed."
            )
        monkeypatch.undo()
        assert "broken_children" not in _tables(url)
        assert runner.invoke(args=["db", "current"]).output.startswith(f"{head} (newest)")
    finally:
        app.extensions["tracker.db"].engine.dispose()


def test_the_audit_chain_is_filled_from_the_rows_already_written(database):
    """Upgrading a trail written before the chain links its rows in the order of their
    ids, exactly as the app links them as they are committed, and it verifies."""
    from sqlalchemy.orm import Session

    from tests.factories import World
    from tracker import audit

    url = database.fresh()
    engine = make_engine(url)
    chain = "select seq, audit_id, prev_hash, hash from audit_chain order by seq"
    try:
        with Session(engine) as session:
            world = World.build(session)
            session.commit()
            world.stocked(30)
            session.commit()
            kept = session.execute(text(chain)).all()
        assert len(kept) > 10

        script = ScriptDirectory.from_config(migrate.alembic_config(url))
        migrate.downgrade(url, script.get_revision("79c75bd751b5").down_revision, force=True)
        assert "audit_chain" not in _tables(url)
        migrate.upgrade(url)
        with Session(engine) as session:
            assert session.execute(text(chain)).all() == kept
            verdict = audit.verify(session)
            assert (verdict.rows, verdict.problem) == (len(kept), None)
    finally:
        engine.dispose()
