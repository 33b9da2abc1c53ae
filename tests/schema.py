"""What the schema test compares beyond Alembic's autogenerate: CHECK constraints, triggers
and (on PostgreSQL) the functions the triggers run.

Alembic compares tables, columns, types, defaults, indexes, unique and foreign keys, but
neither CHECK constraints nor triggers: a model's CHECK could say one thing and the
database another, or a trigger could be gone, and the test would pass.

How it compares: the models' schema is made for real, by ``metadata.create_all``, in a
scratch place of the same engine (on PostgreSQL a schema of the database under test,
created in a transaction that is rolled back; on SQLite a database in memory), and both
sides are then read back by the same queries:

- CHECK constraints (name, table, text): on PostgreSQL ``pg_get_constraintdef``, on
  SQLite SQLAlchemy's reflection of the ``CREATE TABLE`` text.
- Triggers (name, table, definition): on SQLite ``sqlite_master.sql``, the ``CREATE
  TRIGGER`` statement with its body; on PostgreSQL ``pg_get_triggerdef`` and whether the
  trigger is enabled, and every trigger function of the schema (name, language and
  body, ``pg_proc.prosrc``), so that a function replaced by one that lets rows through
  shows. The models declare their triggers in ``tracker.models.triggers``, attached to
  the tables' ``after_create`` events, so ``create_all`` makes them: the expected
  definitions live there, once; the migrations keep their own copies, as revisions do
  not import the app.

Normalising the text, so that equal definitions compare equal and different ones do not:

- On PostgreSQL, PostgreSQL itself writes both sides' text from what it parsed: its
  casts (``::text``, ``::character varying``), its ``= ANY (ARRAY[...])`` for ``IN``
  and its parentheses come out the same whenever the two expressions parse the same,
  and differently whenever they do not (``(a OR b) AND c`` is not ``a OR b AND c``).
- SQLite keeps every statement's text as it was written. A CHECK's expression is parsed
  with sqlglot, its parentheses dropped and put back around every operation inside
  another (so ``(a AND b) OR c`` and ``a AND b OR c`` are one expression, ``a AND (b OR
  c)`` another), and its names unquoted.
- Then, on both engines and for triggers and functions too, ``normalise`` evens out what
  is left: whitespace, the case of keywords and names, double-quoted names, ``!=`` and
  ``==``, parentheses around the whole. String literals are kept as they are.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import sqlglot
from sqlalchemy import Connection, MetaData, create_engine, inspect, text
from sqlglot import exp
from sqlglot.errors import SqlglotError

from tracker.db import make_engine

_TOKEN = re.compile(
    r"""
      (?P<string>'(?:[^']|'')*')
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<operator><>|!=|>=|<=|==|\|\||::)
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SAME_OPERATOR = {"!=": "<>", "==": "="}


def normalise(sql: str) -> str:
    """SQL text in one spelling: tokens separated by one space, keywords and names in
    lower case and unquoted, string literals as they are, ``!=`` as ``<>``, ``==`` as
    ``=``, and no parentheses around the whole expression."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(sql):
        kind, token = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "word":
            token = token.lower()
        elif kind == "quoted":
            token = token[1:-1].replace('""', '"').lower()
        elif kind == "operator":
            token = _SAME_OPERATOR.get(token, token)
        tokens.append(token)
    while tokens and tokens[0] == "(" and _closing(tokens, 0) == len(tokens) - 1:
        tokens = tokens[1:-1]
    return " ".join(tokens)


def normalise_sqlite_expression(sql: str) -> str:
    """A SQLite expression (a CHECK's) in one spelling: parentheses where the structure
    of the expression needs them and nowhere else, names unquoted, then ``normalise``.
    Text that sqlglot cannot parse is only ``normalise``d."""
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except SqlglotError:
        return normalise(sql)
    while isinstance(tree, exp.Paren):
        tree = tree.this
    for paren in list(tree.find_all(exp.Paren)):
        paren.replace(paren.this)
    # Deepest first, so that a copy made to wrap an operation holds its wrapped parts.
    for node in reversed(list(tree.find_all(exp.Binary, exp.Unary, exp.Predicate))):
        if _operation(node) and _operation(node.parent):
            node.replace(exp.Paren(this=node.copy()))
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("quoted", False)
    return normalise(tree.sql(dialect="sqlite"))


def _operation(node: exp.Expression | None) -> bool:
    return isinstance(node, (exp.Binary, exp.Unary, exp.Predicate)) and not isinstance(
        node, exp.Paren
    )


def _closing(tokens: list[str], start: int) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[index], 0)
        if depth == 0:
            return index
    return -1


@dataclass(frozen=True)
class _Item:
    """One object of the schema as read back: compared by ``key``, shown as ``text``."""

    kind: str  # CHECK, trigger, function
    table: str
    name: str
    text: str
    # The text in one spelling (see the module's docstring).
    normal: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.table, self.name)


@dataclass(frozen=True)
class Difference:
    """A CHECK constraint, trigger or trigger function that the database and the models
    disagree about; ``database`` or ``models`` is None where one side has none."""

    kind: str
    table: str
    name: str
    database: str | None
    models: str | None

    def __str__(self) -> str:
        what = f"{self.kind} {self.name}" + (f" on {self.table}" if self.table else "")
        if self.database is None:
            return f"{what}: the models have it, the database does not: {self.models}"
        if self.models is None:
            return f"{what}: the database has it, the models do not: {self.database}"
        return f"{what} differs: the database has {self.database}; the models {self.models}"


def differences(url: str, metadata: MetaData) -> list[Difference]:
    """How the CHECK constraints, triggers and trigger functions of the database at
    ``url`` differ from those ``metadata`` makes on the same engine; [] when they agree."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                found = _sqlite_items(connection)
                scratch = create_engine("sqlite://")
                try:
                    with scratch.begin() as made:
                        metadata.create_all(made, checkfirst=False)
                        wanted = _sqlite_items(made)
                finally:
                    scratch.dispose()
            else:
                with connection.begin() as transaction:
                    found = _postgresql_items(connection)
                    schema = f"schema_check_{uuid.uuid4().hex[:12]}"
                    connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                    connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
                    metadata.create_all(connection, checkfirst=False)
                    wanted = _postgresql_items(connection)
                    transaction.rollback()
    finally:
        engine.dispose()
    return _compare(found, wanted)


def _compare(found: list[_Item], wanted: list[_Item]) -> list[Difference]:
    database = {item.key: item for item in found}
    models = {item.key: item for item in wanted}
    result = []
    for key in sorted(database.keys() | models.keys()):
        mine, theirs = database.get(key), models.get(key)
        if mine and theirs and mine.normal == theirs.normal:
            continue
        result.append(
            Difference(*key, mine.text if mine else None, theirs.text if theirs else None)
        )
    return result


def _sqlite_items(connection: Connection) -> list[_Item]:
    inspector = inspect(connection)
    items = []
    for table in inspector.get_table_names():
        for check in inspector.get_check_constraints(table):
            normal = normalise_sqlite_expression(check["sqltext"])
            items.append(_Item("CHECK", table, check["name"] or normal, check["sqltext"], normal))
    triggers = connection.execute(
        text("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'")
    )
    items += [_Item("trigger", table, name, sql, normalise(sql)) for table, name, sql in triggers]
    return items


# Every query reads the schema first on the search path: the database's own, or the
# scratch one the models were made in (whose name, which pg_get_triggerdef writes before
# the table's, is left out).
_PG_CHECKS = """
SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
WHERE con.contype = 'c' AND c.relnamespace = current_schema()::regnamespace
"""
_PG_TRIGGERS = """
SELECT c.relname, t.tgname,
       replace(pg_get_triggerdef(t.oid), ' ON ' || quote_ident(current_schema()) || '.', ' ON ')
       || CASE t.tgenabled WHEN 'D' THEN ' (disabled)' ELSE '' END
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
"""
_PG_FUNCTIONS = """
SELECT p.proname, 'LANGUAGE ' || l.lanname || ' AS ' || p.prosrc
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.prorettype = 'trigger'::regtype AND p.pronamespace = current_schema()::regnamespace
"""


def _postgresql_items(connection: Connection) -> list[_Item]:
    rows = [("CHECK", *row) for row in connection.execute(text(_PG_CHECKS))]
    rows += [("trigger", *row) for row in connection.execute(text(_PG_TRIGGERS))]
    rows += [("function", "", *row) for row in connection.execute(text(_PG_FUNCTIONS))]
    return [_Item(kind, table, name, sql, normalise(sql)) for kind, table, name, sql in rows]
