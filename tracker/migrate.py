"""Alembic, driven from the app: the migrations live in ``migrations/`` at the top.

Two checks run inside a migration's transaction, before it commits (``migrations/env.py``):
on SQLite, ``PRAGMA foreign_key_check`` (foreign keys are off while batch mode copies
tables); and, for a downgrade, whether it drops tables or columns that hold data. Which
revision drops what is learnt from the downgrade itself: the tables and columns of the
schema before and after it are compared, and the rows they held counted before it ran.
A downgrade that would lose data is rolled back unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.engine import Connection

from config import Config

# Alembic's own bookkeeping: never counted as data.
VERSION_TABLE = "alembic_version"


class MigrationRefused(RuntimeError):
    """A migration that was rolled back, with a message for the person who ran it."""


class DataLoss(MigrationRefused):
    """A downgrade would drop tables or columns that hold data."""

    def __init__(self, losses: list[Loss]):
        self.losses = losses
        what = ", ".join(loss.describe() for loss in losses)
        super().__init__(
            f"The downgrade would delete data: {what}. Nothing was changed; "
            "add --force to downgrade anyway."
        )


class BrokenForeignKeys(MigrationRefused):
    def __init__(self, rows: list[tuple]):
        self.rows = rows
        tables = sorted({f"{row[0]} -> {row[2]}" for row in rows})
        super().__init__(
            f"The migration would leave {len(rows):,} broken foreign "
            f"{'key' if len(rows) == 1 else 'keys'} ({', '.join(tables)}); "
            "it was rolled back and nothing was changed."
        )


@dataclass(frozen=True)
class Loss:
    table: str
    column: str | None  # None: the whole table
    rows: int

    def describe(self) -> str:
        if self.column is None:
            return f"table {self.table} ({self.rows:,} {'row' if self.rows == 1 else 'rows'})"
        return (
            f"column {self.table}.{self.column} "
            f"({self.rows:,} {'row' if self.rows == 1 else 'rows'} with a value)"
        )


@dataclass(frozen=True)
class Holdings:
    """Rows per table and values (not NULL) per column, before a migration."""

    rows: dict[str, int]
    values: dict[tuple[str, str], int]


def schema(connection: Connection) -> dict[str, set[str]]:
    """The tables and their columns, as the connection sees them now."""
    inspector = inspect(connection)
    return {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != VERSION_TABLE
    }


def holdings(connection: Connection) -> Holdings:
    """Count what every table and column holds: one query per table."""
    rows: dict[str, int] = {}
    values: dict[tuple[str, str], int] = {}
    for name, columns in schema(connection).items():
        names = sorted(columns)
        counts = connection.execute(
            select(func.count(), *(func.count(column(c)) for c in names)).select_from(table(name))
        ).one()
        rows[name] = counts[0]
        values.update({(name, c): n for c, n in zip(names, counts[1:], strict=True)})
    return Holdings(rows, values)


def losses(before: Holdings, after: dict[str, set[str]]) -> list[Loss]:
    """What a migration dropped that held data: whole tables, or columns of tables that
    are still there."""
    lost = [
        Loss(name, None, rows)
        for name, rows in sorted(before.rows.items())
        if name not in after and rows
    ]
    lost += [
        Loss(name, col, n)
        for (name, col), n in sorted(before.values.items())
        if name in after and col not in after[name] and n
    ]
    return lost


def alembic_config(url: str | None = None) -> AlembicConfig:
    """Alembic's configuration for ``url`` (default: the configured DATABASE_URL)."""
    cfg = AlembicConfig(str(Config.MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(Config.MIGRATIONS_DIR))
    if url is not None:
        # Passed as an attribute, not an option: option values are %-interpolated.
        cfg.attributes["url"] = url
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str, *, force: bool = False) -> None:
    """Downgrade to ``revision`` ('-1': one step). Raises DataLoss, and changes nothing,
    when that would drop tables or columns holding data, unless ``force``."""
    cfg = alembic_config(url)
    cfg.attributes["refuse_data_loss"] = not force
    command.downgrade(cfg, revision)


def script_heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()
