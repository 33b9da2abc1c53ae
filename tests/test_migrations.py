"""Migrations: an empty database upgraded to head has exactly the models' schema, on both
engines; every revision goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

# Registers every table on the metadata.
import tracker.models  # noqa: F401
from tracker import migrate
from tracker.db import Base, make_engine


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
    migrate.downgrade(url, "base")
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
        migrate.downgrade(url, "-1")
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

        migrate.downgrade(url, "6309b28e838c")
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
    from tracker.services import events
    from tracker.services.events import SaleItem

    url = database.fresh()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            world = World.build(session).stocked(100)
            store = world.loc("GB-STORE").id
            sales = [
                events.sell(
                    session,
                    None,
                    location_id=store,
                    items=[SaleItem(world.edition.id, qty, unit_price=price)],
                    payment_method=method,
                )
                for qty, method, price in ((2, "cash", None), (1, "card", "9.99"), (3, "cash", "0"))
            ]
            events.void_sale(session, None, sales[1].id, "test")
            session.commit()
            kept = sorted(session.execute(select(SaleTally.__table__)).all())
            assert kept == [(store, "card", 0, 0, 0), (store, "cash", 2, 5, 5000)]

        migrate.downgrade(url, "3f1c9a2d7e55")
        assert "sale_tallies" not in _tables(url)
        migrate.upgrade(url)
        with Session(engine) as session:
            filled = sorted(session.execute(select(SaleTally.__table__)).all())
            # A method whose sales were all voided keeps its row at nought; the upgrade
            # makes none.
            assert filled == [row for row in kept if row.sales]
            assert events.tally(session, store)["total"] == 5000
    finally:
        engine.dispose()
