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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
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


def utc_day(column: Any, dialect: str) -> Any:
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
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the tracker runs on SQLite and PostgreSQL only
        raise RuntimeError(f"unsupported database {dialect}")
    return insert(table)


def sql_in(values: Iterable[Any]) -> str:
    """An enumeration's values as the SQL list a CHECK constraint names: ('a', 'b')."""
    return "(" + ", ".join(f"'{getattr(v, 'value', v)}'" for v in values) + ")"


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


def make_engine(url: str | URL, *, sqlite_busy_timeout: int = 30, echo: bool = False) -> Engine:
    """An engine for ``url`` with the connection set-up this app relies on."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": sqlite_busy_timeout})
        _setup_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    return create_engine(parsed, echo=echo, pool_pre_ping=True)


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


@dataclass
class _State:
    engine: Engine
    session_factory: sessionmaker[Session]
    # For requests that only read (GET, HEAD): on SQLite they begin DEFERRED.
    read_session_factory: sessionmaker[Session]


class Database:
    """The app's database: ``db.session`` is one session per request (or CLI command).

    The session is created on first use and closed when the app context ends. The one
    commit point of a request is ``after_request``: a response below 400 commits, any
    other response or an exception rolls back. Views that catch a domain error and
    answer with a form again must call ``db.rollback()`` first. GET and HEAD requests
    read only: their session does not take SQLite's write lock.
    """

    extension_key = "tracker.db"

    def init_app(self, app: Any) -> None:
        engine = make_engine(
            app.config["DATABASE_URL"],
            sqlite_busy_timeout=app.config.get("SQLITE_BUSY_TIMEOUT", 30),
            echo=app.config.get("SQL_ECHO", False),
        )
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        read_factory = sessionmaker(
            bind=engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )
        app.extensions[self.extension_key] = _State(engine, factory, read_factory)
        app.after_request(self._commit_or_rollback)
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
        from flask import g, has_request_context, request

        session = g.get("_db_session")
        if session is None:
            state = self._state()
            factory = state.session_factory
            if has_request_context() and request.method in ("GET", "HEAD"):
                factory = state.read_session_factory
            session = g._db_session = factory()
        return session

    def rollback(self) -> None:
        from flask import g

        session = g.get("_db_session")
        if session is not None:
            session.rollback()

    def commit(self) -> None:
        """Commit the current session: for CLI commands, which have no response."""
        self.session.commit()

    @staticmethod
    def _commit_or_rollback(response: Any) -> Any:
        from flask import g

        session = g.get("_db_session")
        if session is not None:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        return response

    @staticmethod
    def _close(_exc: BaseException | None) -> None:
        from flask import g

        session = g.pop("_db_session", None)
        if session is not None:
            session.close()


db = Database()
