"""Migrations: an empty database upgraded to head has exactly the models' schema, on both
engines; every revision goes down and up again.

"The models' schema" is what Alembic's autogenerate compares (tables, columns, types,
defaults, indexes, keys) and what it does not: CHECK constraints and triggers, compared
by ``tests.schema`` (see there how), whose own tests below show that it sees a CHECK
changed or dropped in the models and a trigger dropped or changed in the database."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, MetaData, inspect, text

# Registers every table on the metadata.
import tracker.models  # noqa: F401
from tests import schema
from tracker import migrate
from tracker.db import Base, make_engine
from tracker.models.triggers import APPEND_ONLY
from tracker.queries import events as event_queries


def _alembic_differences(url: str, metadata: MetaData = Base.metadata) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def _differences(url: str, metadata: MetaData = Base.metadata) -> list:
    """Everything the database at ``url`` and ``metadata`` disagree about: what Alembic
    compares, then CHECK constraints, triggers and trigger functions."""
    return _alembic_differences(url, metadata) + [
        str(difference) for difference in schema.differences(url, metadata)
    ]


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _triggers(url: str) -> set[tuple[str, str]]:
    """(table, trigger) of every trigger in the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                query = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
            else:
                query = (
                    "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
                )
            return {(table, name) for table, name in connection.execute(text(query))}
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
    # The comparison above saw the append-only tables' triggers on both sides.
    events = (
        ("update", "delete")
        if database.engine_name == "sqlite"
        else ("update_or_delete", "truncate")
    )
    assert _triggers(url) == {
        (spec.table, f"{spec.table}_no_{event}") for spec in APPEND_ONLY for event in events
    }


def test_downgrade_to_base_and_up_again(database):
    url = database.fresh(migrated=False)
    migrate.upgrade(url)
    migrate.downgrade(url, "base", force=True)
    assert _tables(url) == {"alembic_version"}
    # No CHECK, trigger or trigger function is left behind.
    assert schema.differences(url, MetaData()) == []
    migrate.upgrade(url)
    assert _differences(url) == []


@pytest.mark.slow
def test_each_revision_goes_down_and_up(database):
    url = database.fresh(migrated=False)
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        migrate.upgrade(url, revision)
        migrate.downgrade(url, "-1", force=True)
        migrate.upgrade(url, revision)
    assert _differences(url) == []


# -- the schema test sees what it compares -----------------------------------------------


def _copy_of_the_models() -> MetaData:
    """The models' tables (with their triggers) in a metadata of their own, to change
    without touching the models."""
    copy = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def _replace_check(metadata: MetaData, name: str, sqltext: str | None) -> None:
    """Replace the CHECK constraint ``name`` by one that says ``sqltext``, or drop it."""
    (table,) = [t for t in metadata.tables.values() if name.startswith(f"ck_{t.name}_")]
    (check,) = [c for c in table.constraints if isinstance(c, CheckConstraint) and c.name == name]
    table.constraints.remove(check)
    if sqltext is not None:
        table.append_constraint(CheckConstraint(sqltext, name=check.name))


def _execute(url: str, *statements: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_the_schema_test_sees_a_check_constraint_changed_or_dropped(database):
    """A models' CHECK that says something else than the database's, or that the models
    no longer have: Alembic sees neither, the schema test both, and nothing else."""
    url = database.fresh()
    models = _copy_of_the_models()
    _replace_check(
        models, "ck_balances_condition_known", "condition IN ('unsigned', 'signed', 'damaged')"
    )
    _replace_check(models, "ck_sale_tallies_not_negative", None)

    assert _alembic_differences(url, models) == []
    found = schema.differences(url, models)
    assert [(d.kind, d.table, d.name) for d in found] == [
        ("CHECK", "balances", "ck_balances_condition_known"),
        ("CHECK", "sale_tallies", "ck_sale_tallies_not_negative"),
    ]
    changed, dropped = found
    assert "'damaged'" in changed.models and "'damaged'" not in changed.database
    assert str(changed).startswith("CHECK ck_balances_condition_known on balances differs: ")
    assert dropped.models is None
    assert "copies >= 0" in dropped.database
    assert str(dropped).startswith(
        "CHECK ck_sale_tallies_not_negative on sale_tallies: the database has it, the models "
        "do not: "
    )
    # The models themselves are untouched, and agree with the database.
    assert _differences(url) == []


def test_the_schema_test_compares_what_a_check_says_not_how_it_is_written(database):
    """The models' ``(damaged = 0 AND missing = 0) OR reason IS NOT NULL`` written other
    ways: the same with other spacing, quoting, case or parentheses (and on PostgreSQL
    without the casts and ARRAY it writes back) is no difference; anything that parses
    otherwise is one."""
    url = database.fresh()
    name = "ck_receipt_lines_discrepancy_has_reason"
    same = [
        'damaged = 0 AND missing = 0 OR "reason" IS NOT NULL',
        "((damaged = 0) and (missing=0)) or (REASON is not null)",
        "(((damaged = 0 AND missing = 0) OR reason IS NOT NULL))",
    ]
    other = [
        "damaged = 0 AND (missing = 0 OR reason IS NOT NULL)",
        "(damaged = 0 AND missing = 0) OR reason IS NULL",
        "(damaged = 0 OR missing = 0) OR reason IS NOT NULL",
        "(damaged = 1 AND missing = 0) OR reason IS NOT NULL",
        "(damaged = 0 AND missing = 0) OR reason <> ''",
    ]
    for sqltext in [*same, *other]:
        models = _copy_of_the_models()
        _replace_check(models, name, sqltext)
        found = [(d.kind, d.name) for d in schema.differences(url, models)]
        assert found == ([] if sqltext in same else [("CHECK", name)]), sqltext

    # String literals keep their case and order; a list in another order is another text
    # (a revision makes the database's match).
    for sqltext in ("condition IN ('unsigned', 'SIGNED')", "condition IN ('signed', 'unsigned')"):
        models = _copy_of_the_models()
        _replace_check(models, "ck_balances_condition_known", sqltext)
        assert [d.name for d in schema.differences(url, models)] == ["ck_balances_condition_known"]


def test_the_schema_test_sees_a_trigger_dropped(database):
    url = database.fresh()
    if database.is_postgresql:
        table, trigger = "moves", "moves_no_truncate"
        _execute(url, f"DROP TRIGGER {trigger} ON {table}")
    else:
        table, trigger = "audit_log", "audit_log_no_delete"
        _execute(url, f"DROP TRIGGER {trigger}")

    (missing,) = schema.differences(url, Base.metadata)
    assert (missing.kind, missing.table, missing.name, missing.database) == (
        "trigger",
        table,
        trigger,
        None,
    )
    assert str(missing).startswith(
        f"trigger {trigger} on {table}: the models have it, the database does not: "
        f"CREATE TRIGGER {trigger} BEFORE "
    )
    assert _alembic_differences(url) == []


def test_the_schema_test_sees_a_trigger_that_lets_rows_through_or_one_too_many(database):
    """A trigger (or on PostgreSQL its function) that no longer refuses anything, one
    switched off, and one that the models do not have."""
    url = database.fresh()
    if database.is_postgresql:
        _execute(
            url,
            "CREATE OR REPLACE FUNCTION audit_chain_is_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
            "ALTER TABLE moves DISABLE TRIGGER moves_no_update_or_delete",
            "CREATE TRIGGER balances_watch AFTER INSERT ON balances "
            "FOR EACH ROW EXECUTE FUNCTION moves_are_immutable()",
        )
        expected = [
            ("function", "", "audit_chain_is_append_only"),
            ("trigger", "balances", "balances_watch"),
            ("trigger", "moves", "moves_no_update_or_delete"),
        ]
    else:
        _execute(
            url,
            "DROP TRIGGER moves_no_delete",
            "CREATE TRIGGER moves_no_delete BEFORE DELETE ON moves WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'moves are immutable: correct a move by posting its "
            "reversal'); END",
            "CREATE TRIGGER balances_watch AFTER INSERT ON balances BEGIN SELECT 1; END",
        )
        expected = [
            ("trigger", "balances", "balances_watch"),
            ("trigger", "moves", "moves_no_delete"),
        ]
    found = schema.differences(url, Base.metadata)
    assert [(d.kind, d.table, d.name) for d in found] == expected
    extra = next(d for d in found if d.name == "balances_watch")
    assert extra.models is None
    changed = [d for d in found if d.name != "balances_watch"]
    assert all(d.database and d.models for d in changed)
    if database.is_postgresql:
        assert "RETURN OLD" in changed[0].database and "RAISE EXCEPTION" in changed[0].models
        assert changed[1].database.endswith("(disabled)")
    else:
        assert "WHEN 0" in changed[0].database and "WHEN 0" not in changed[0].models


def test_sql_in_writes_the_values_of_an_enumeration_in_its_order():
    from tracker.db import sql_in
    from tracker.domain.accounts import Role
    from tracker.domain.stock import Condition

    assert sql_in(Condition) == "('unsigned', 'signed')"
    assert sql_in(Role) == "('admin', 'distributor', 'treasurer', 'coordinator')"
    assert sql_in([Condition.SIGNED]) == "('signed')"
    assert sql_in(["it's"]) == "('it''s')"
    with pytest.raises(ValueError, match="cannot be empty"):
        sql_in([])


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


def test_sections_made_before_archiving_existed_are_in_use(database):
    """The revision that gives sections a contact and an archived flag: sections made
    before it come out in use, with no contact, and going down drops only its columns."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tests.factories import World
    from tracker.models import Section

    revision = "d3b7f0a5c912"
    below = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(revision)
    url = database.fresh()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            World.build(session)
            session.commit()
        migrate.downgrade(url, str(below.down_revision), force=True)
        columns = {c["name"] for c in inspect(engine).get_columns("sections")}
        assert not columns & {"archived", "contact_name", "contact_email", "contact_phone"}
        assert {"time_zone", "language", "currency"} <= columns
        migrate.upgrade(url, revision)
        with Session(engine) as session:
            rows = session.execute(
                select(Section.name, Section.archived, Section.contact_email).order_by(Section.name)
            ).all()
        assert [tuple(r) for r in rows] == [("Britain", False, None), ("Sweden", False, None)]
        migrate.upgrade(url)
        assert _differences(url) == []
    finally:
        engine.dispose()
