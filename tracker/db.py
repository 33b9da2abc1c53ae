"""The database: declarative base, engines for SQLite and PostgreSQL, a session per request.

Nothing here creates tables: migrations do (``tracker db upgrade``).

SQLite is set up so that it behaves like a real transactional database:

* foreign keys on, WAL journal, a busy timeout, on every connection;
* the driver's own transaction handling is switched off and SQLAlchemy emits ``BEGIN``
  itself, so a transaction really begins when SQLAlchemy says it does and SAVEPOINT
  works (see "Serializable isolation / Savepoints / Transactional DDL" in SQLAlchemy's
  SQLite dialect notes);
* a transaction that may write begins ``IMMEDIATE``: it takes the write lock at its
  start, so two writers queue on the busy timeout instead of one failing with
  "database is locked" when it tries to turn a read lock into a write lock. Read-only
  work (GET requests) asks for ``DEFERRED`` with the execution option
  ``sqlite_begin``, so that readers never wait for each other or for a writer (WAL).

No wait for the database may outlast a web worker (gunicorn kills a worker that takes
longer than its timeout, and the person gets no answer at all): SQLite writers wait for
the lock for ``SQLITE_BUSY_TIMEOUT`` seconds; on PostgreSQL, a connection is given
``DATABASE_CONNECT_TIMEOUT`` seconds to open, the server cancels a statement after
``DATABASE_STATEMENT_TIMEOUT`` and a lock wait after ``DATABASE_LOCK_TIMEOUT``, and the
client gives up on a server that sends nothing for 1.5 times the statement timeout (a
frozen server or a cut network, where the server's own timeouts cannot fire). Then
``outage()`` tells the web layer to answer 503.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import URL, Connection, CursorResult, Result, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.elements import TypeCoerce
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def inserted_ids(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into a table numbered by an integer id: their ids, in the order
    of the rows.

    Both engines number the rows of one INSERT in the order it lists them (SQLite's
    next rowid, PostgreSQL's sequence, row by row), so the ids in order are the rows'.
    (SQLAlchemy's own matching, ``sort_by_parameter_order``, sends one INSERT per row on
    SQLite.) SQLite: one INSERT ... RETURNING per thousand rows. PostgreSQL, from
    ``COPY_FROM`` rows: the ids are drawn from the table's sequence first, in one
    query, and the rows copied in with them (``insert_rows``): a thousand-row INSERT
    costs the driver more to take apart than the server to run."""
    if len(rows) == 1:
        return [connection.execute(_returning_id(table), rows[0]).scalar_one()]
    if _copies(connection, table, rows):
        ids: list[int] = sorted(
            connection.execute(_NEXT_IDS, {"table": table.name, "n": len(rows)}).scalars()
        )
        _copy(connection, table, [{**row, "id": id_} for row, id_ in zip(rows, ids, strict=True)])
        return ids
    return sorted(connection.execute(_returning_id(table), rows).scalars())


@functools.cache
def _returning_id(table: Table):
    return table.insert().returning(table.c.id)


# Rows from which PostgreSQL gets them by COPY (fewer: a plain INSERT, as ever).
COPY_FROM = 100
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each naming the same columns) the quickest way each engine has,
    in the connection's transaction: one executemany on SQLite; COPY on PostgreSQL from
    ``COPY_FROM`` rows (each value through its column's type, as an INSERT sends it)."""
    if not rows:
        return
    if _copies(connection, table, rows):
        _copy(connection, table, rows)
    else:
        connection.execute(table.insert(), list(rows))


def _copies(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether ``rows`` go in by COPY: on PostgreSQL, enough of them, naming every column
    that has a default of the application's (COPY fills only the server's)."""
    if connection.dialect.name != "postgresql" or len(rows) < COPY_FROM:
        return False
    named = rows[0].keys()
    return all(column.default is None or column.key in named for column in table.c)


def _copy(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    columns = [(name, table.c[name].type._cached_bind_processor(dialect)) for name in rows[0]]
    names = ", ".join(quote(name) for name, _process in columns)
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [row[name] if process is None else process(row[name]) for name, process in columns]
            )


def table_of(model: type[Base]) -> Table:
    """The table a model is mapped to (SQLAlchemy types ``__table__`` as any FROM clause,
    which INSERT and UPDATE do not take)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run through ``Session.execute`` matched. The session
    types its result as a plain Result; for those statements it is a CursorResult, the
    one that counts them."""
    return cast(CursorResult[Any], result).rowcount


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as an aware UTC datetime.

    PostgreSQL keeps the zone (``timestamp with time zone``); SQLite keeps none, so
    values are converted to UTC before they are written and marked UTC when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must carry a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_day(column: Any, dialect: str) -> TypeCoerce[date]:
    """The UTC calendar day of a ``UTCDateTime`` column, computed by the database (SQLite
    keeps UTC text; PostgreSQL turns the zoned time into UTC first)."""
    from sqlalchemy import Date, func, type_coerce

    if dialect == "postgresql":
        return type_coerce(func.date(func.timezone("UTC", column)), Date)
    return type_coerce(func.date(column), Date)


def dialect_insert(dialect: str, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT, in the words of the database at hand (both
    engines have it; SQLAlchemy spells it per dialect)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    # The tracker runs on SQLite and PostgreSQL only.
    raise RuntimeError(f"unsupported database {dialect}")


def sql_in(values: Iterable[Any]) -> str:
    """An enumeration's values (or some of its members) as the SQL list a CHECK
    constraint names, in the enumeration's order: ``sql_in(Condition)`` is
    ``('unsigned', 'signed')``.

    The values are written once, in the enumeration; the CHECK follows. Adding,
    renaming or reordering a value changes the constraint's text, which the schema test
    (tests/test_migrations.py) reports until a revision makes the database's match.
    """
    items = [str(getattr(value, "value", value)) for value in values]
    if not items:
        raise ValueError("a CHECK constraint's list of values cannot be empty")
    return "(" + ", ".join("'" + item.replace("'", "''") + "'" for item in items) + ")"


# Amounts in minor units are 64-bit: BIGINT on PostgreSQL (so that products and sums
# computed in SQL are 64-bit too); SQLite's INTEGER is 64-bit already.
MinorUnits = BigInteger().with_variant(Integer(), "sqlite")


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal kept as text: SQLite would turn NUMERIC into a float."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: str | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; ``postgres://`` and ``postgresql://`` mean psycopg 3."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


# The client waits this many times the statement timeout for a server that sends nothing.
REPLY_TIMEOUT_FACTOR = 1.5


def make_engine(
    url: str | URL,
    *,
    sqlite_busy_timeout: float = 5,
    connect_timeout: float = 0,
    statement_timeout: float = 0,
    lock_timeout: float = 0,
    echo: bool = False,
) -> Engine:
    """An engine for ``url`` with the connection set-up this app relies on.

    Timeouts are in seconds; 0 means none (the default for PostgreSQL: tools and tests
    wait as long as they need; the app passes its configured limits).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": sqlite_busy_timeout})
        _setup_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    engine = create_engine(parsed, echo=echo, pool_pre_ping=True)
    _setup_postgresql(
        engine,
        connect_timeout=connect_timeout,
        statement_timeout=statement_timeout,
        lock_timeout=lock_timeout,
    )
    return engine


def longest_wait(config: Mapping[str, Any]) -> float:
    """The longest one request may wait for the database at one go, in seconds, under a
    configuration (``math.inf`` when a limit is off): gunicorn.conf.py keeps its worker
    timeout above it."""
    if normalize_url(config["DATABASE_URL"]).get_backend_name() == "sqlite":
        return float(config["SQLITE_BUSY_TIMEOUT"]) or math.inf
    connect, statement = config["DATABASE_CONNECT_TIMEOUT"], config["DATABASE_STATEMENT_TIMEOUT"]
    if not connect or not statement:
        return math.inf
    # The pool's ping of a silent server, then a new connection that does not open.
    return max(2.0, float(connect)) + REPLY_TIMEOUT_FACTOR * float(statement)


def _setup_postgresql(
    engine: Engine, *, connect_timeout: float, statement_timeout: float, lock_timeout: float
) -> None:
    reply_timeout = REPLY_TIMEOUT_FACTOR * statement_timeout
    settings = [
        f"-c {name}={math.ceil(seconds * 1000)}"
        for name, seconds in (
            ("statement_timeout", statement_timeout),
            ("lock_timeout", lock_timeout),
        )
        if seconds
    ]

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        if connect_timeout:
            # libpq counts whole seconds, and waits 2 at least.
            cparams.setdefault("connect_timeout", max(2, math.ceil(connect_timeout)))
        if settings:
            # Sent with the connection's start-up: no extra round trip.
            cparams["options"] = " ".join([cparams.get("options", ""), *settings]).strip()
        if not reply_timeout:
            # Nothing to watch for: a plain connection, which a COPY (a wait per row)
            # goes through faster.
            return psycopg.Connection.connect(*cargs, **cparams)
        connection = _PatientConnection.connect(*cargs, **cparams)
        connection.reply_timeout = reply_timeout
        return connection


class ServerSilent(psycopg.OperationalError):
    """The PostgreSQL server sent nothing back in time: frozen, or the network is cut."""


class _PatientConnection(psycopg.Connection):
    """A psycopg connection that gives up on a server that sends nothing back.

    psycopg waits for the server in ``wait()``, waking every tenth of a second (to let
    Ctrl-C through): here a wait ends, and the connection is closed, once the server has
    sent nothing for ``reply_timeout`` seconds. SQLAlchemy then sees a closed connection
    and drops it from the pool.
    """

    reply_timeout: float = 0.0

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        if self.reply_timeout:
            gen = _within(gen, self.reply_timeout, self)
        return super().wait(gen, *args, **kwargs)


def _within(gen: Any, seconds: float, connection: psycopg.Connection) -> Any:
    """``gen`` (a psycopg generator), closing ``connection`` after ``seconds`` of silence."""
    deadline = time.monotonic() + seconds
    try:
        wanted = next(gen)
        while True:
            ready = yield wanted
            if ready:
                deadline = time.monotonic() + seconds
            elif time.monotonic() >= deadline:
                connection.close()
                raise ServerSilent(f"the database server sent nothing for {seconds:g} seconds")
            wanted = gen.send(ready)
    except StopIteration as done:
        return done.value


def _setup_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the driver from issuing BEGIN and COMMIT on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode not in ("IMMEDIATE", "DEFERRED", "EXCLUSIVE"):
            raise ValueError(f"sqlite_begin={mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")


# What a database that cannot serve now says, by kind: "busy" (locked by other work),
# "timeout" (no answer in time), "unreachable" (down, or the connection was lost).
_PG_BUSY = (
    psycopg.errors.LockNotAvailable,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)
_PG_TIMEOUT = (psycopg.errors.QueryCanceled, ServerSilent)
_PG_UNREACHABLE = (
    psycopg.errors.AdminShutdown,
    psycopg.errors.CrashShutdown,
    psycopg.errors.CannotConnectNow,
    psycopg.errors.TooManyConnections,
    psycopg.errors.ConnectionException,
    psycopg.errors.IdleSessionTimeout,
    psycopg.errors.IdleInTransactionSessionTimeout,
)
_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked")
_SQLITE_UNREACHABLE = ("unable to open database file", "disk i/o error", "disk is full")


def outage(error: BaseException | None) -> str | None:
    """Whether ``error`` says the database cannot serve just now, and how: ``"busy"``,
    ``"timeout"`` or ``"unreachable"``; None for any other error (a bug, a constraint)."""
    import sqlite3

    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):  # no connection free in the pool
        return "busy"
    if not isinstance(error, exc.DBAPIError):
        return None
    orig = error.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        if any(words in text for words in _SQLITE_BUSY):
            return "busy"
        if any(words in text for words in _SQLITE_UNREACHABLE):
            return "unreachable"
        return None
    if isinstance(orig, _PG_BUSY):
        return "busy"
    if isinstance(orig, _PG_TIMEOUT):
        return "timeout"
    if isinstance(orig, _PG_UNREACHABLE) or error.connection_invalidated:
        return "unreachable"
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) and not getattr(
        orig, "sqlstate", None
    ):
        # Raised by the client, not the server: the connection failed or broke.
        return "timeout" if "timeout expired" in str(orig) else "unreachable"
    return None


@dataclass
class _State:
    engine: Engine
    session_factory: sessionmaker[Session]
    # For requests that only read (GET, HEAD): on SQLite they begin DEFERRED.
    read_session_factory: sessionmaker[Session]
    # For commands that only read and want one consistent view of the data: DEFERRED on
    # SQLite (a reader keeps its snapshot in WAL mode), REPEATABLE READ READ ONLY on
    # PostgreSQL. Neither takes a lock that writers wait for.
    snapshot_session_factory: sessionmaker[Session]


class Database:
    """The app's database: ``db.session`` is one session per request (or CLI command).

    The session is created on first use and closed when the app context ends. The one
    commit point of a request is when its response is ready, before any other
    ``after_request`` work: a response below 400 commits, any other response or an
    exception rolls back; a commit that fails becomes the error's page (503 when the
    database is unavailable). Views that catch a domain error and answer with a form
    again must call ``db.rollback()`` first. GET and HEAD requests read only: their
    session does not take SQLite's write lock.
    """

    extension_key = "tracker.db"

    def init_app(self, app: Any) -> None:
        engine = make_engine(
            app.config["DATABASE_URL"],
            sqlite_busy_timeout=app.config.get("SQLITE_BUSY_TIMEOUT", 5),
            connect_timeout=app.config.get("DATABASE_CONNECT_TIMEOUT", 0),
            statement_timeout=app.config.get("DATABASE_STATEMENT_TIMEOUT", 0),
            lock_timeout=app.config.get("DATABASE_LOCK_TIMEOUT", 0),
            echo=app.config.get("SQL_ECHO", False),
        )
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        read_factory = sessionmaker(
            bind=engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )
        if engine.dialect.name == "postgresql":
            snapshot = engine.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        else:
            snapshot = engine.execution_options(sqlite_begin="DEFERRED")
        snapshot_factory = sessionmaker(bind=snapshot, expire_on_commit=False)
        app.extensions[self.extension_key] = _State(engine, factory, read_factory, snapshot_factory)
        app.teardown_appcontext(self._close)

    @staticmethod
    def _state() -> _State:
        from flask import current_app

        return current_app.extensions[Database.extension_key]

    @property
    def engine(self) -> Engine:
        return self._state().engine

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self._state().session_factory

    @property
    def session(self) -> Session:
        from flask import after_this_request, g, has_request_context, request

        session = g.get("_db_session")
        if session is None:
            state = self._state()
            factory = state.session_factory
            if g.get("_db_snapshot"):
                factory = state.snapshot_session_factory
            elif has_request_context() and request.method in ("GET", "HEAD"):
                factory = state.read_session_factory
            session = g._db_session = factory()
            if has_request_context():
                # Runs before the app's after_request functions (security headers...),
                # so that a failed commit's page gets them too.
                after_this_request(self._commit_or_rollback)
        return session

    def snapshot(self) -> None:
        """The work of this app context only reads: its session takes no write lock and
        sees the data as it was at its first statement. Call before the first use."""
        from flask import g

        if g.get("_db_session") is not None:
            raise RuntimeError("db.snapshot() must come before the session's first use")
        g._db_snapshot = True

    def rollback(self) -> None:
        """Roll back the current session; if the database cannot even do that (it is
        gone), drop the connection: nothing was committed either way."""
        from flask import g
        from sqlalchemy.exc import SQLAlchemyError

        session = g.get("_db_session")
        if session is not None:
            try:
                session.rollback()
            except SQLAlchemyError:
                session.invalidate()

    def commit(self) -> None:
        """Commit the current session: for CLI commands, which have no response."""
        self.session.commit()

    def _commit_or_rollback(self, response: Any) -> Any:
        from flask import current_app, g

        session = g.get("_db_session")
        if session is None:
            return response
        if response.status_code >= 400:
            self.rollback()
            return response
        try:
            session.commit()
        except Exception as error:
            # The request's page becomes the error's (a 503 page when the database is
            # unavailable): the person is told it was not saved and to try again.
            self.rollback()
            return current_app.make_response(current_app.handle_user_exception(error))
        return response

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        from flask import g

        session = g.pop("_db_session", None)
        if session is not None:
            session.close()


db = Database()
