"""The triggers that keep the append-only tables so, declared with the tables.

Nobody may change or delete a move or a row of the audit trail: the database refuses
``UPDATE`` and ``DELETE`` on them (and ``TRUNCATE`` on PostgreSQL) with a trigger that
raises the table's message.

- SQLite: ``<table>_no_update`` and ``<table>_no_delete``, each ``SELECT RAISE(ABORT,
  message)``.
- PostgreSQL: ``<table>_no_update_or_delete`` (for each row) and ``<table>_no_truncate``
  (for each statement), both executing one PL/pgSQL function that raises the message
  (``moves_are_immutable``, ``<table>_is_append_only`` for the others).

The migrations create them (each revision keeps its own copy of the SQL it ran, since
revisions never import the app, which changes after them). What is here is what the
database must hold at head: the DDL is attached to the tables' ``after_create`` events, so
``metadata.create_all`` makes the triggers with the tables, and the schema test
(tests/test_migrations.py) compares the triggers and functions of a migrated database
with those ``create_all`` makes from these declarations, as it compares columns and
CHECK constraints with the models. A new trigger, or a changed one, is declared here and
created by a revision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DDL, MetaData, Table, event
from sqlalchemy.sql.ddl import ExecutableDDLElement


@dataclass(frozen=True)
class AppendOnly:
    """A table whose rows nobody may change or delete, and what the database says when
    someone tries."""

    table: str
    message: str
    # PostgreSQL's trigger function.
    function: str

    def _quoted_message(self) -> str:
        return "'" + self.message.replace("'", "''") + "'"

    def sqlite(self) -> list[str]:
        return [
            f"CREATE TRIGGER {self.table}_no_{action.lower()} BEFORE {action} ON {self.table} "
            f"BEGIN SELECT RAISE(ABORT, {self._quoted_message()}); END"
            for action in ("UPDATE", "DELETE")
        ]

    def postgresql(self) -> list[str]:
        return [
            f"CREATE FUNCTION {self.function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION {self._quoted_message()}; END $$",
            f"CREATE TRIGGER {self.table}_no_update_or_delete BEFORE UPDATE OR DELETE "
            f"ON {self.table} FOR EACH ROW EXECUTE FUNCTION {self.function}()",
            f"CREATE TRIGGER {self.table}_no_truncate BEFORE TRUNCATE ON {self.table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {self.function}()",
        ]


def _append_only(table: str) -> AppendOnly:
    return AppendOnly(
        table,
        f"{table} is append-only: nobody may change or delete its rows",
        f"{table}_is_append_only",
    )


APPEND_ONLY = (
    AppendOnly(
        "moves",
        "moves are immutable: correct a move by posting its reversal",
        "moves_are_immutable",
    ),
    _append_only("audit_log"),
    _append_only("audit_sections"),
    _append_only("audit_chain"),
)


def attach(metadata: MetaData) -> None:
    """Make ``create_all`` create the triggers with their tables (and ``drop_all`` drop
    the functions that outlive them on PostgreSQL)."""
    for spec in APPEND_ONLY:
        table = metadata.tables[spec.table]
        for dialect, statements in (("sqlite", spec.sqlite()), ("postgresql", spec.postgresql())):
            for statement in statements:
                _listen(table, "after_create", _ddl(statement).execute_if(dialect=dialect))
        drop = _ddl(f"DROP FUNCTION IF EXISTS {spec.function}()")
        _listen(table, "after_drop", drop.execute_if(dialect="postgresql"))


def _listen(table: Table, name: str, ddl: ExecutableDDLElement) -> None:
    # Propagated: a copy of the table (``Table.to_metadata``) has the triggers too.
    event.listen(table, name, ddl, propagate=True)


def _ddl(statement: str) -> DDL:
    # DDL formats its text with %(table)s and the like: a literal % is written %%.
    return DDL(statement.replace("%", "%%"))
