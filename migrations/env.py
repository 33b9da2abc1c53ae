"""Alembic environment: the models' metadata, and the URL from the app's configuration.

SQLite runs migrations in batch mode (copy and move tables) with foreign keys off while
the tables are copied, and checks them before the migration's transaction commits: a
broken key rolls the whole migration back. A downgrade run by ``tracker db downgrade``
is rolled back, too, when it drops tables or columns that hold data (unless forced).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

# Registers every table on the metadata.
import tracker.models  # noqa: F401
from tracker import migrate
from tracker.db import Base, DecimalText, UTCDateTime, make_engine

alembic_config = context.config
if alembic_config.config_file_name is not None and not alembic_config.attributes.get(
    "quiet_logging"
):
    fileConfig(alembic_config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    url = alembic_config.attributes.get("url") or alembic_config.get_main_option("sqlalchemy.url")
    if not url:
        import config

        url = config.selected().DATABASE_URL
    return url


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write the app's column types as plain SQLAlchemy ones: revisions must not import
    the app, which changes after them."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, DecimalText):
        return "sa.String(length=40)"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        render_item=_render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Outside any transaction, or SQLite ignores it; straight to the driver, so that
        # SQLAlchemy does not begin one first.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        # One transaction for every step, on SQLite too (Alembic would commit each step
        # on its own there), so that the checks below can still undo everything.
        _configure(connection=connection, transactional_ddl=True)
        with context.begin_transaction():
            before = (
                migrate.holdings(connection)
                if alembic_config.attributes.get("refuse_data_loss")
                else None
            )
            context.run_migrations()
            # Both checks raise inside the transaction: the migration is rolled back.
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise migrate.BrokenForeignKeys([tuple(row) for row in broken])
            if before is not None:
                lost = migrate.losses(before, migrate.schema(connection))
                if lost:
                    raise migrate.DataLoss(lost)
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection = alembic_config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
