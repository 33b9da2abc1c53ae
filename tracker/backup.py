"""A whole database in one portable file, and back: ``tracker backup`` / ``tracker restore``.

The file is a zip holding ``manifest.json`` and one member per table, ``tables/<name>.tsv``,
in the order the tables depend on each other (``metadata.sorted_tables``). Each table's
member is PostgreSQL's COPY text format, the format of the data in a plain ``pg_dump``:
UTF-8, one row per line (so ``wc -l`` counts them), values separated by tabs, ``\\N`` for
NULL, and a backslash before a backslash, tab, newline, carriage return, backspace, form
feed or vertical tab inside a value. The first line names the columns. Values are written
the same way whatever the engine (``ENCODING`` says how: integers in digits, ``true`` /
``false``, timestamps in UTC as ISO 8601 with microseconds and ``Z``, days as ISO 8601,
JSON as the text stored, bytes as ``\\x`` and hexadecimal digits, text as stored, exact
decimals included), rows in the order of their primary key (text compared byte by byte),
so the same data makes the same members on SQLite and PostgreSQL.

Why this format rather than CSV or JSON lines: a NULL and an empty text are told apart
(``\\N``), which Python's csv module cannot do before 3.12; one line per row, whatever the
text holds; and PostgreSQL reads and writes it itself, so that on PostgreSQL a backup and
a restore stream the members' bytes through ``COPY ... TO STDOUT`` / ``COPY ... FROM
STDIN`` with no Python work per row. On SQLite rows go through Python (``executemany``).

The manifest holds the format's name and version, the schema revision (Alembic's head)
the database was at, the engine it came from, when it was made, how values are written,
and for each table its file, columns (name and kind), rows, size and SHA-256.

A restore goes into an empty database already migrated to the backup's revision, which
must be this code's head (``tracker db upgrade`` first): migrations keep their own
command, checks and transaction. Empty means holding nothing but the rows the migrations
themselves put in (a default settings row), learnt by migrating a scratch database in
memory; those are replaced. Every member's checksum is checked before the database is
touched, again while it is loaded, and the rows counted; all of it is one transaction,
rolled back on any error. Rows are only inserted: the triggers that keep moves and the
audit trail append-only refuse UPDATE, DELETE and TRUNCATE, never INSERT, so they stay as
they are, and the rows go in unchanged (ids, hashes and all). Tables go in dependency
order and rows in key order, so foreign keys (a reversal's move points at an earlier
move) hold row by row on SQLite; on PostgreSQL they are checked at the end of each COPY.
On PostgreSQL every sequence is then set to its column's largest value.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    Interval,
    LargeBinary,
    String,
    Table,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import TypeDecorator, TypeEngine

FORMAT = "tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
NULL = "\\N"
# zlib's level: 1 compresses a ledger to about a sixth, several times faster than 6.
COMPRESSION_LEVEL = 1
_CHUNK = 1 << 20
_ROWS = 5000

# How each kind of value is written, as the manifest states it.
ENCODING = {
    "file": (
        "PostgreSQL's COPY text format: UTF-8, one row per line ending in LF, values "
        "separated by tabs; the first line names the columns"
    ),
    "null": "\\N",
    "escapes": (
        "inside a value, a backslash is written \\\\, a tab \\t, a newline \\n, a carriage "
        "return \\r, a backspace \\b, a form feed \\f, a vertical tab \\v"
    ),
    "integer": "decimal digits",
    "text": "as stored (the tracker keeps exact decimals as text)",
    "boolean": "true or false",
    "timestamp": (
        "UTC, ISO 8601 as PostgreSQL writes it: 2024-01-21 19:30:00+00, with a fraction "
        "of a second when there is one (2024-01-21 19:30:00.25+00; to the microsecond)"
    ),
    "datetime": "the same without a time zone: 2024-01-21 19:30:00",
    "date": "ISO 8601: 2024-01-21",
    "json": "the JSON text as stored",
    "bytes": "\\x and two hexadecimal digits per byte (PostgreSQL's bytea hex format)",
    "order": "rows in the order of their primary key, text compared byte by byte",
}
KINDS = tuple(k for k in ENCODING if k not in ("file", "null", "escapes", "order"))


class BackupRefused(Exception):
    """A backup or restore that cannot be done, with a message for the person who asked;
    nothing was written (no file, or no row)."""

    @property
    def message(self) -> str:
        return str(self.args[0])


# -- what a column holds -------------------------------------------------------------------


def storage_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type a column's values are kept as in the database: a TypeDecorator's own
    (UTCDateTime's DateTime, DecimalText's String). The backup writes what is stored."""
    while isinstance(type_, TypeDecorator) and not isinstance(type_, Interval):
        type_ = type_.impl_instance
    return type_


def kind_of(type_: TypeEngine[Any]) -> str | None:
    """How a column of this type is written (one of ``KINDS``), or None when the format
    has no way yet."""
    type_ = storage_type(type_)
    if isinstance(type_, Interval):  # a TypeDecorator over DateTime, but not a moment
        return None
    for kind, types in _KIND_TYPES:
        if isinstance(type_, types):
            if kind == "timestamp" and not getattr(type_, "timezone", False):
                return "datetime"
            return kind
    return None


_KIND_TYPES: tuple[tuple[str, Any], ...] = (
    ("boolean", Boolean),
    ("integer", Integer),
    ("timestamp", DateTime),
    ("date", Date),
    ("json", JSON),
    ("bytes", LargeBinary),
    ("text", String),
)


@dataclass(frozen=True)
class TablePlan:
    """A table as the backup writes it: its columns (name, kind) in order."""

    table: Table
    columns: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def file(self) -> str:
        return f"tables/{self.name}.tsv"

    @property
    def header(self) -> bytes:
        return ("\t".join(name for name, _ in self.columns) + "\n").encode()

    def order_by(self) -> list[Any]:
        return list(self.table.primary_key.columns) or list(self.table.columns)


def plans(tables: Sequence[Table] | None = None) -> list[TablePlan]:
    """Every table of the models, in dependency order, with how each column is written.
    Raises BackupRefused naming a column the format cannot write."""
    if tables is None:
        import tracker.models  # noqa: F401  (registers every table)
        from tracker.db import Base

        tables = Base.metadata.sorted_tables
    result = []
    for table in tables:
        columns = []
        for column in table.columns:
            kind = kind_of(column.type)
            if kind is None:
                raise BackupRefused(
                    f"Column {table.name}.{column.name} is of a type ({column.type}) that "
                    "the backup format cannot write yet: teach tracker/backup.py its kind."
                )
            columns.append((column.name, kind))
        result.append(TablePlan(table, tuple(columns)))
    return result


# -- values as text, and back (the Python side: SQLite) --------------------------------------

_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v"}
)
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r\b\f\v]")
_UNESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPED = re.compile(r"\\(.)", re.S)


def escape(text: str) -> str:
    return text.translate(_ESCAPES) if _NEEDS_ESCAPE.search(text) else text


def unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda m: _UNESCAPES.get(m.group(1), m.group(1)), text)


def _datetime_text(value: datetime) -> str:
    """As PostgreSQL writes a timestamp (DateStyle ISO): the fraction of a second only
    when there is one, without its trailing zeros."""
    text = value.isoformat(sep=" ")
    return text.rstrip("0") if value.microsecond else text


def _timestamp_text(value: datetime) -> str:
    """UTC, as PostgreSQL writes it with the time zone UTC. A naive value is UTC already
    (as SQLite keeps UTCDateTime's)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return _datetime_text(value) + "+00"


_WRITE: dict[str, Callable[[Any], str]] = {
    "integer": str,
    "text": escape,
    "boolean": lambda value: "true" if value else "false",
    "timestamp": _timestamp_text,
    "datetime": _datetime_text,
    "date": lambda value: value.isoformat(),
    "json": escape,
    "bytes": lambda value: "\\\\x" + bytes(value).hex(),
}


def _timestamp_value(text: str) -> datetime:
    """As SQLite keeps a timestamp: in UTC, without a zone."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone")
    return value.astimezone(UTC).replace(tzinfo=None)


def _boolean_value(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"{text!r} is neither true nor false")
    return text == "true"


def _bytes_value(text: str) -> bytes:
    text = unescape(text)
    if not text.startswith("\\x"):
        raise ValueError(f"{text[:20]!r} is not \\x and hexadecimal digits")
    return bytes.fromhex(text[2:])


_READ: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "text": unescape,
    "boolean": _boolean_value,
    "timestamp": _timestamp_value,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "json": unescape,
    "bytes": _bytes_value,
}


def _nullable(convert: Callable[[Any], Any], null: Any, empty: Any) -> Callable[[Any], Any]:
    def converted(value: Any) -> Any:
        return empty if value == null else convert(value)

    return converted


# -- the PostgreSQL side -----------------------------------------------------------------------

_PG_VALUE = {
    "integer": "{c}",
    "text": "{c}",
    "boolean": "CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END",
    "timestamp": "{c}",  # TimeZone = UTC, DateStyle = ISO
    "datetime": "{c}",
    "date": "{c}",
    "json": "{c}::text",
    "bytes": "{c}",  # bytea_output = hex
}
# Set for the transaction of a backup or restore on PostgreSQL.
_PG_SETTINGS = (
    "SET LOCAL client_encoding = 'UTF8'",
    "SET LOCAL bytea_output = 'hex'",
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
)


def _pg_copy_out(connection: Connection, plan: TablePlan) -> str:
    quote = connection.dialect.identifier_preparer.quote
    kinds = dict(plan.columns)
    values = ", ".join(_PG_VALUE[kind].format(c=quote(name)) for name, kind in plan.columns)
    order = ", ".join(
        f'{quote(c.name)}::text COLLATE "C"' if kinds[c.name] == "text" else quote(c.name)
        for c in plan.order_by()
    )
    table = connection.dialect.identifier_preparer.format_table(plan.table)
    # Names from the models' metadata, quoted by the dialect.
    return f"COPY (SELECT {values} FROM {table} ORDER BY {order}) TO STDOUT"  # noqa: S608


def _pg_copy_in(connection: Connection, plan: TablePlan) -> str:
    preparer = connection.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name, _ in plan.columns)
    return f"COPY {preparer.format_table(plan.table)} ({columns}) FROM STDIN"


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


# -- progress ------------------------------------------------------------------------------

# ``progress(total, label)``: a context manager giving an object whose ``update(n)`` says
# that n more rows are done (click.progressbar is one). None: nothing is shown, and rows
# are not counted beforehand.
Progress = Callable[[int, str], AbstractContextManager[Any]]


class _Silent:
    def update(self, n: int) -> None:
        pass


def _no_progress(_total: int, _label: str) -> AbstractContextManager[Any]:
    return contextlib.nullcontext(_Silent())


# -- the manifest ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    name: str
    file: str
    rows: int
    bytes: int
    sha256: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Manifest:
    revision: str
    engine: str
    created_at: str
    members: tuple[Member, ...]

    @property
    def rows(self) -> int:
        return sum(member.rows for member in self.members)

    def as_json(self) -> bytes:
        """The manifest as JSON, a table to a line."""
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": self.revision,
            "engine": self.engine,
            "created_at": self.created_at,
            "encoding": ENCODING,
        }
        tables = [
            {
                "name": m.name,
                "file": m.file,
                "rows": m.rows,
                "bytes": m.bytes,
                "sha256": m.sha256,
                "columns": [[name, kind] for name, kind in m.columns],
            }
            for m in self.members
        ]
        head = json.dumps(document, indent=2, ensure_ascii=False).removesuffix("\n}")
        lines = ",\n".join("    " + json.dumps(t, ensure_ascii=False) for t in tables)
        return f'{head},\n  "tables": [\n{lines}\n  ]\n}}\n'.encode()


def _parse_manifest(raw: bytes) -> Manifest:
    """The manifest of a backup; ValueError (or KeyError, TypeError) when it is not one."""
    document = json.loads(raw)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError("not a tracker backup's manifest")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupRefused(
            f"The backup is in format version {version}, which this tracker does not read "
            f"(it reads version {FORMAT_VERSION}): restore it with the release that made it."
        )
    members = tuple(
        Member(
            name=str(t["name"]),
            file=str(t["file"]),
            rows=int(t["rows"]),
            bytes=int(t["bytes"]),
            sha256=str(t["sha256"]),
            columns=tuple((str(name), str(kind)) for name, kind in t["columns"]),
        )
        for t in document["tables"]
    )
    return Manifest(
        str(document["schema_revision"]),
        str(document["engine"]),
        str(document["created_at"]),
        members,
    )


# -- revisions -------------------------------------------------------------------------------


def code_revision() -> str:
    from tracker import migrate

    return ",".join(sorted(migrate.script_heads()))


def database_revision(connection: Connection) -> str:
    from tracker import migrate

    return ",".join(sorted(migrate.current_heads(connection)))


def _require_code_revision(connection: Connection, doing: str) -> str:
    revision, head = database_revision(connection), code_revision()
    if not revision:
        raise BackupRefused(
            f"The database has no tables yet: run `tracker db upgrade` first, then {doing}."
        )
    if revision != head:
        raise BackupRefused(
            f"The database is at schema revision {revision}, and this tracker's is {head}: "
            f"run `tracker db upgrade` first, then {doing}."
        )
    return revision


def _engine_label(connection: Connection) -> str:
    dialect = connection.dialect
    if dialect.name == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version}"
    version = ".".join(str(part) for part in dialect.server_version_info or ())
    return f"{dialect.name} {version}".strip()


# -- backup ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    path: Path
    manifest: Manifest

    @property
    def tables(self) -> int:
        return len(self.manifest.members)

    @property
    def rows(self) -> int:
        return self.manifest.rows


class _Hashed:
    """Writes to a zip member, counting and hashing what goes through."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.size += len(data)
        self.out.write(data)


def backup(
    engine: Engine, path: Path, *, overwrite: bool = False, progress: Progress | None = None
) -> Summary:
    """Write every table of the database behind ``engine`` to ``path``.

    The rows are read in one snapshot (REPEATABLE READ READ ONLY on PostgreSQL, a
    DEFERRED transaction on SQLite): the app may go on writing meanwhile. The file is
    written under a temporary name beside ``path`` and renamed when complete.
    """
    path = Path(path)
    if path.is_dir():
        raise BackupRefused(f"{path} is a directory: name the backup file to write.")
    if path.exists() and not overwrite:
        raise BackupRefused(f"{path} exists already: choose another name, or add --force.")
    plan = plans()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    with _temporary_beside(path) as (handle, temporary):
        with _snapshot(engine) as connection:
            revision = _require_code_revision(connection, "back it up")
            with zipfile.ZipFile(
                handle, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION_LEVEL
            ) as archive:
                members = _write_tables(connection, archive, plan, progress)
                manifest = Manifest(revision, _engine_label(connection), created, members)
                archive.writestr(MANIFEST, manifest.as_json())
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temporary, path)
    return Summary(path, manifest)


@contextlib.contextmanager
def _temporary_beside(path: Path) -> Iterator[tuple[IO[bytes], Path]]:
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (renamed or removed below)
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial", delete=False
        )
    except OSError as error:
        raise BackupRefused(f"Cannot write {path}: {error.strerror or error}.") from None
    temporary = Path(handle.name)
    try:
        yield handle, temporary
    except OSError as error:
        raise BackupRefused(
            f"Cannot write {path}: {error.strerror or error}. No backup was written."
        ) from None
    finally:
        handle.close()
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    if engine.dialect.name == "postgresql":
        options: dict[str, Any] = {
            "isolation_level": "REPEATABLE READ",
            "postgresql_readonly": True,
        }
    else:
        options = {"sqlite_begin": "DEFERRED"}
    with _refused_by_database("No backup was written."), engine.connect() as connection:
        connection = connection.execution_options(**options)
        with connection.begin():
            if engine.dialect.name == "postgresql":
                for statement in _PG_SETTINGS:
                    connection.exec_driver_sql(statement)
            yield connection


@contextlib.contextmanager
def _refused_by_database(outcome: str) -> Iterator[None]:
    import psycopg

    try:
        yield
    except (DBAPIError, psycopg.Error) as error:
        orig = error.orig if isinstance(error, DBAPIError) else error
        said = f"The database refused: {_first_line(orig)} {outcome}"
        if getattr(orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
            said += (
                " Run it as the role that owns the tables (the one that runs `tracker db upgrade`)."
            )
        raise BackupRefused(said) from None


_INSUFFICIENT_PRIVILEGE = "42501"


def _first_line(error: object) -> str:
    text = str(error).strip()
    return (text.splitlines() or [type(error).__name__])[0].rstrip(".") + "."


def _write_tables(
    connection: Connection,
    archive: zipfile.ZipFile,
    plan: list[TablePlan],
    progress: Progress | None,
) -> tuple[Member, ...]:
    total = _count_rows(connection, plan) if progress else 0
    write = _write_postgresql if connection.dialect.name == "postgresql" else _write_sqlite
    members = []
    with (progress or _no_progress)(total, "Backing up") as bar:
        for table in plan:
            with archive.open(table.file, "w", force_zip64=True) as raw:
                out = _Hashed(raw)
                out.write(table.header)
                rows = write(connection, table, out, bar)
            members.append(
                Member(table.name, table.file, rows, out.size, out.sha.hexdigest(), table.columns)
            )
    return tuple(members)


def _count_rows(connection: Connection, plan: list[TablePlan]) -> int:
    from sqlalchemy import func

    return sum(
        connection.execute(select(func.count()).select_from(table.table)).scalar_one()
        for table in plan
    )


def _write_postgresql(connection: Connection, table: TablePlan, out: _Hashed, bar: Any) -> int:
    rows = 0
    buffer = bytearray()
    with (
        _driver(connection).cursor() as cursor,
        cursor.copy(_pg_copy_out(connection, table)) as copy,
    ):
        for data in copy:
            buffer += data
            if len(buffer) >= _CHUNK:
                done = buffer.count(b"\n")
                rows += done
                bar.update(done)
                out.write(bytes(buffer))
                buffer.clear()
    done = buffer.count(b"\n")
    bar.update(done)
    out.write(bytes(buffer))
    return rows + done


def _write_sqlite(connection: Connection, table: TablePlan, out: _Hashed, bar: Any) -> int:
    """The rows as SQLite keeps them, read through the driver and written a column at a
    time: most columns need no conversion per value but a loop in C."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    writers = [
        _column_writer(table.table.c[name].type, kind, dialect) for name, kind in table.columns
    ]
    statement = (  # names from the models' metadata, quoted by the dialect
        f"SELECT {', '.join(quote(name) for name, _ in table.columns)} "  # noqa: S608
        f"FROM {dialect.identifier_preparer.format_table(table.table)} "
        f"ORDER BY {', '.join(quote(column.name) for column in table.order_by())}"
    )
    cursor = _driver(connection).cursor()
    rows = 0
    try:
        cursor.execute(statement)
        while batch := cursor.fetchmany(_ROWS):
            columns = zip(*batch, strict=True)
            written = [write(values) for write, values in zip(writers, columns, strict=True)]
            out.write(("\n".join(map("\t".join, zip(*written, strict=True))) + "\n").encode())
            rows += len(batch)
            bar.update(len(batch))
    finally:
        cursor.close()
    return rows


def _column_writer(
    type_: TypeEngine[Any], kind: str, dialect: Any
) -> Callable[[Sequence[Any]], Sequence[str]]:
    """From a column's values as SQLite keeps them to their text: through the column's
    storage type as SQLAlchemy reads it, then as the format writes it (JSON as stored)."""
    stored = storage_type(type_)
    processor = (
        None if kind == "json" else stored.dialect_impl(dialect).result_processor(dialect, None)
    )
    write = _WRITE[kind]
    one: Callable[[Any], str] = write if processor is None else lambda v: write(processor(v))
    if kind == "timestamp" and processor is not None:
        one = _stored_timestamp(processor, one)
    as_stored = kind in ("text", "json")

    def written(values: Sequence[Any]) -> Sequence[str]:
        if None in values:
            return [NULL if value is None else one(value) for value in values]
        if as_stored and not _NEEDS_ESCAPE.search("".join(values)):
            return values
        return list(map(one, values))

    return written


def _stored_timestamp(processor: Callable[[Any], Any], slow: Callable[[Any], str]):
    """A timestamp's text straight from SQLite's, when SQLAlchemy keeps them as
    ``2001-02-03 04:05:06.000007`` (its default): the reverse of ``_sqlite_timestamp``."""
    if processor("2001-02-03 04:05:06.000007") != datetime(2001, 2, 3, 4, 5, 6, 7):
        return slow

    def fast(value: Any) -> str:
        if not (isinstance(value, str) and len(value) == 26 and value[19] == "."):
            return slow(value)
        datetime.fromisoformat(value)  # checks it
        return value.rstrip("0").removesuffix(".") + "+00"

    return fast


# -- reading a backup ---------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[zipfile.ZipFile]:
    """The backup's zip, or BackupRefused saying why it cannot be read."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
    except OSError as error:
        raise BackupRefused(f"Cannot read {path}: {error.strerror or error}.") from None
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        if start == b"PK\x03\x04":
            raise BackupRefused(
                f"{path} is damaged: its zip directory is missing or broken ({error}); "
                "was it cut short? Nothing was restored."
            ) from None
        raise BackupRefused(f"{path} is not a tracker backup (not a zip file).") from None
    with archive:
        yield archive


def read_manifest(archive: zipfile.ZipFile, path: Path) -> Manifest:
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        raise BackupRefused(f"{path} is not a tracker backup (it has no {MANIFEST}).") from None
    except Exception as error:
        raise _damaged(path, MANIFEST, error) from None
    try:
        return _parse_manifest(raw)
    except BackupRefused:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise BackupRefused(
            f"{path} is not a tracker backup, or its {MANIFEST} is damaged ({error})."
        ) from None


def _damaged(path: Path, member: str, error: BaseException) -> BackupRefused:
    detail = str(error) or type(error).__name__
    return BackupRefused(
        f"{path} is damaged: {member} cannot be read ({detail}). Nothing was restored."
    )


def verify(path: Path, *, progress: Progress | None = None) -> Manifest:
    """Read every member of the backup at ``path`` and check it against its manifest
    (checksum, size, rows, header): the manifest, or BackupRefused saying what is wrong."""
    path = Path(path)
    with _opened(path) as archive:
        manifest = read_manifest(archive, path)
        with (progress or _no_progress)(manifest.rows, "Checking") as bar:
            for member in manifest.members:
                _check_member(archive, path, member, bar)
    return manifest


def _check_member(archive: zipfile.ZipFile, path: Path, member: Member, bar: Any) -> None:
    rows = 0
    chunks = _member(archive, path, member)
    next(chunks)  # the header
    for chunk in chunks:
        done = chunk.count(b"\n")
        rows += done
        bar.update(done)
    if rows != member.rows:
        raise BackupRefused(
            f"{path} is damaged: {member.file} holds {rows:,} rows, "
            f"its manifest says {member.rows:,}. Nothing was restored."
        )


def _member(archive: zipfile.ZipFile, path: Path, member: Member) -> Iterator[bytes]:
    """The member's bytes in chunks, the first one its header, checked against the
    manifest's columns. Once read to the end, raises BackupRefused (damaged) if the bytes
    did not match the member's size and checksum."""
    sha = hashlib.sha256()
    size = 0
    expected = ("\t".join(name for name, _ in member.columns) + "\n").encode()
    with _reading(path, member.file):
        stream = archive.open(member.file)
    with stream:
        with _reading(path, member.file):
            header = stream.readline()
        if header != expected:
            raise BackupRefused(
                f"{path} is damaged: the first line of {member.file} does not name "
                "the columns its manifest lists. Nothing was restored."
            )
        sha.update(header)
        size += len(header)
        yield header
        while True:
            with _reading(path, member.file):
                chunk = stream.read(_CHUNK)
            if not chunk:
                break
            sha.update(chunk)
            size += len(chunk)
            yield chunk
    if size != member.bytes or sha.hexdigest() != member.sha256:
        raise BackupRefused(
            f"{path} is damaged: {member.file} does not match its checksum. Nothing was restored."
        )


@contextlib.contextmanager
def _reading(path: Path, file: str) -> Iterator[None]:
    """zipfile's and zlib's errors for a broken header, data or CRC-32, as a damaged file."""
    try:
        yield
    except KeyError:
        raise BackupRefused(
            f"{path} is damaged: it has no {file}, which its manifest lists. Nothing was restored."
        ) from None
    except Exception as error:
        raise _damaged(path, file, error) from None


# -- restore -----------------------------------------------------------------------------------


def restore(engine: Engine, path: Path, *, progress: Progress | None = None) -> Summary:
    """Load the backup at ``path`` into the empty database behind ``engine``, in one
    transaction: all of it, or (BackupRefused) nothing."""
    path = Path(path)
    manifest = verify(path, progress=progress)
    plan = _plan_for(manifest, path)
    with (
        _opened(path) as archive,
        _refused_by_database("Nothing was restored."),
        engine.connect() as connection,
        connection.begin(),
    ):
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            for statement in _PG_SETTINGS:
                connection.exec_driver_sql(statement)
        _require_code_revision(connection, "restore")
        _lock(connection, plan)
        seeded = _require_empty(connection, plan)
        _clear(connection, seeded)
        load = _load_postgresql if postgresql else _load_sqlite
        with (
            _set_aside(connection, plan),
            (progress or _no_progress)(manifest.rows, "Restoring") as bar,
        ):
            for table, member in zip(plan, manifest.members, strict=True):
                rows = load(connection, table, _member(archive, path, member), bar)
                if rows != member.rows:  # the checks above make this a changed file
                    raise BackupRefused(
                        f"{path} changed while it was restored ({member.file}). "
                        "Nothing was restored."
                    )
        if postgresql:
            _reset_sequences(connection, plan)
    return Summary(path, manifest)


def _plan_for(manifest: Manifest, path: Path) -> list[TablePlan]:
    head = code_revision()
    if manifest.revision != head:
        raise BackupRefused(_other_revision(path, manifest.revision, head))
    plan = plans()
    expected = [(t.name, t.file, t.columns) for t in plan]
    found = [(m.name, m.file, m.columns) for m in manifest.members]
    if found != expected:
        raise BackupRefused(
            f"{path} does not hold this tracker's tables as its schema revision has them: "
            "it was changed by hand, or made by another program. Nothing was restored."
        )
    return plan


def _other_revision(path: Path, revision: str, head: str) -> str:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from tracker import migrate

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    try:
        known = all(scripts.get_revision(r) is not None for r in revision.split(","))
    except CommandError:
        known = False
    said = f"{path} was made at schema revision {revision}, and this tracker's is {head}: "
    if known:
        return said + (
            "a backup goes back only into the schema it was made from. Restore it with the "
            "older release that made it (its `tracker db upgrade`, then `tracker restore`), "
            "then install this release, run `tracker db upgrade`, and take a new backup. "
            "Nothing was restored."
        )
    return said + (
        "this tracker does not know that revision (was the backup made by a newer release?). "
        "Restore it with the release that made it. Nothing was restored."
    )


def _lock(connection: Connection, plan: list[TablePlan]) -> None:
    """Keep writers out until the restore commits (SQLite's write lock is taken by the
    transaction's BEGIN IMMEDIATE)."""
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    tables = ", ".join(preparer.format_table(table.table) for table in plan)
    connection.exec_driver_sql(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")


def _require_empty(connection: Connection, plan: list[TablePlan]) -> list[TablePlan]:
    """Refuse a database holding rows other than those the migrations put in; the tables
    that hold those."""
    seeds = _migrated_rows()
    holding = [
        table
        for table in plan
        if connection.execute(select(1).select_from(table.table).limit(1)).first()
    ]
    busy = [
        table.name
        for table in holding
        if table.name not in seeds or _rows_of(connection, table.table) != seeds[table.name]
    ]
    if busy:
        shown = ", ".join(busy[:5]) + (f" and {len(busy) - 5} more" if len(busy) > 5 else "")
        raise BackupRefused(
            f"The database is not empty ({shown} hold rows): a backup is restored only into "
            "a new database. Create one, run `tracker db upgrade`, then `tracker restore`. "
            "Nothing was restored."
        )
    return holding


def _rows_of(connection: Connection, table: Table, limit: int = 1000) -> list[tuple[Any, ...]]:
    order = list(table.primary_key.columns) or list(table.columns)
    return [tuple(row) for row in connection.execute(select(table).order_by(*order).limit(limit))]


@functools.cache
def _migrated_rows() -> dict[str, list[tuple[Any, ...]]]:
    """The rows a database holds once migrated to head and nothing else done (a scratch
    SQLite database in memory, migrated once per process)."""
    from alembic import command

    from tracker import migrate
    from tracker.db import make_engine

    scratch = make_engine("sqlite://")
    try:
        with scratch.connect() as connection:
            config = migrate.alembic_config()
            config.attributes["connection"] = connection
            config.attributes["quiet_logging"] = True
            command.upgrade(config, "head")
            seeds = {}
            for table in plans():
                rows = _rows_of(connection, table.table)
                if rows:
                    seeds[table.name] = rows
            return seeds
    finally:
        scratch.dispose()


@contextlib.contextmanager
def _set_aside(connection: Connection, plan: list[TablePlan]) -> Iterator[None]:
    """Load the rows as pg_restore does: without the tables' plain indexes (and, on
    PostgreSQL, their foreign keys), put back from their own definitions, as the
    database gives them, once every row is in: each index is built in one sort, and
    each key checked in one pass. All within the restore's transaction, which nobody else
    sees before it commits and which rolls back whole: for anyone else the schema is
    never without them. Primary keys, unique and CHECK constraints and the triggers stay
    as they are; SQLite's foreign keys (part of its tables) are checked row by row."""
    preparer = connection.dialect.identifier_preparer
    keys, indexes = _aside(connection, plan)
    for table, name, _ in keys:
        connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {preparer.quote(name)}")
    for name, _ in indexes:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    yield
    for _, definition in indexes:
        connection.exec_driver_sql(definition)
    for table, name, definition in keys:
        connection.exec_driver_sql(
            f"ALTER TABLE {table} ADD CONSTRAINT {preparer.quote(name)} {definition}"
        )


def _aside(
    connection: Connection, plan: list[TablePlan]
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The foreign keys (table, name, definition) and plain indexes (name, definition)
    of the plan's tables, as the database has them."""
    preparer = connection.dialect.identifier_preparer
    if connection.dialect.name == "postgresql":
        tables = {"tables": [preparer.format_table(table.table) for table in plan]}
        keys = connection.exec_driver_sql(_PG_FOREIGN_KEYS, tables).all()
        indexes = connection.exec_driver_sql(_PG_PLAIN_INDEXES, tables).all()
        return (
            [(str(table), str(name), str(sql)) for table, name, sql in keys],
            [(str(name), str(sql)) for name, sql in indexes],
        )
    names = {table.name for table in plan}
    return [], [
        (preparer.quote(str(name)), str(sql))
        for name, table, sql in connection.exec_driver_sql(_SQLITE_PLAIN_INDEXES).all()
        if table in names
    ]


# Indexes made by CREATE INDEX (those of a primary key or UNIQUE constraint have no SQL).
_SQLITE_PLAIN_INDEXES = (
    "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
)
_PG_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conrelid = ANY(%(tables)s::regclass[])
ORDER BY 1, 2
"""
# Indexes that back no constraint (a primary key, a unique or exclusion constraint).
_PG_PLAIN_INDEXES = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY(%(tables)s::regclass[])
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c
    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
  )
ORDER BY 1
"""


def _clear(connection: Connection, seeded: list[TablePlan]) -> None:
    for table in reversed(seeded):
        connection.execute(table.table.delete())


def _load_postgresql(
    connection: Connection, table: TablePlan, chunks: Iterator[bytes], bar: Any
) -> int:
    next(chunks)  # the header, checked
    rows = 0
    with _driver(connection).cursor() as cursor:
        with cursor.copy(_pg_copy_in(connection, table)) as copy:
            for chunk in chunks:
                copy.write(chunk)
                done = chunk.count(b"\n")
                rows += done
                bar.update(done)
        if cursor.rowcount != rows:
            raise BackupRefused(
                f"PostgreSQL read {cursor.rowcount:,} rows of {table.file}, not {rows:,}: "
                "the file is damaged. Nothing was restored."
            )
    return rows


def _load_sqlite(
    connection: Connection, table: TablePlan, chunks: Iterator[bytes], bar: Any
) -> int:
    dialect = connection.dialect
    convert = [
        _sqlite_column(table.table.c[name].type, kind, dialect) for name, kind in table.columns
    ]
    preparer = dialect.identifier_preparer
    statement = (  # names from the models' metadata, quoted by the dialect
        f"INSERT INTO {preparer.format_table(table.table)} "  # noqa: S608
        f"({', '.join(preparer.quote(name) for name, _ in table.columns)}) "
        f"VALUES ({', '.join('?' for _ in table.columns)})"
    )
    rows = 0
    for lines in _line_batches(chunks, table):
        batch = _sqlite_rows(lines, convert, table)
        connection.exec_driver_sql(statement, batch)
        rows += len(batch)
        bar.update(len(batch))
    return rows


def _sqlite_column(
    type_: TypeEngine[Any], kind: str, dialect: Any
) -> Callable[[Sequence[str]], Sequence[Any]]:
    """From a column's values as written to what SQLite stores: read as Python, then
    through the column type's own processing (as the app would write them). JSON goes
    in as the text it was."""
    read = _READ[kind]
    stored = storage_type(type_)
    processor = None if kind == "json" else stored.dialect_impl(dialect).bind_processor(dialect)
    one: Callable[[str], Any] = read if processor is None else lambda text: processor(read(text))
    if kind == "timestamp" and processor is not None:
        one = _sqlite_timestamp(processor, one)
    as_written = kind in ("text", "json")

    def convert(values: Sequence[str]) -> Sequence[Any]:
        if as_written and "\\" not in "".join(values):  # no escape, so no NULL either
            return values
        if NULL not in values:
            return list(map(one, values))
        return [None if value == NULL else one(value) for value in values]

    return convert


def _sqlite_timestamp(
    processor: Callable[[Any], Any], slow: Callable[[str], Any]
) -> Callable[[str], Any]:
    """A timestamp as SQLite keeps it, straight from its text when SQLAlchemy keeps
    them as ``2001-02-03 04:05:06.000007`` (its default), which spares making a datetime
    and formatting it again (most of a ledger's load on SQLite); ``slow`` otherwise."""
    if processor(datetime(2001, 2, 3, 4, 5, 6, 7)) != "2001-02-03 04:05:06.000007":
        return slow

    def fast(text: str) -> Any:
        if not text.endswith("+00"):
            return slow(text)
        body = text[:-3]
        datetime.fromisoformat(body)  # checks it
        return body + ".000000" if len(body) == 19 else body.ljust(26, "0")

    return fast


def _line_batches(chunks: Iterator[bytes], table: TablePlan) -> Iterator[list[str]]:
    """The member's lines after its header, a chunk's worth at a time."""
    next(chunks)  # the header, checked
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        end = data.rfind(b"\n") + 1
        carry = data[end:]
        if end:
            yield data[:end].decode().split("\n")[:-1]
    if carry:
        raise BackupRefused(f"{table.file} does not end with a complete line.")


def _sqlite_rows(
    lines: list[str], convert: list[Callable[[Sequence[str]], Sequence[Any]]], table: TablePlan
) -> list[tuple[Any, ...]]:
    """The rows of ``lines``, converted a column at a time."""
    try:
        columns = list(zip(*[line.split("\t") for line in lines], strict=True))
    except ValueError:
        columns = []
    if len(columns) != len(convert):
        raise BackupRefused(f"{table.file} has lines that do not hold {len(convert)} values.")
    converted = []
    for (name, _), values, column in zip(table.columns, columns, convert, strict=True):
        try:
            converted.append(column(values))
        except ValueError as error:
            raise BackupRefused(
                f"{table.file} holds a value of {name} that cannot be read: {error}."
            ) from None
    return list(zip(*converted, strict=True))


def _reset_sequences(connection: Connection, plan: list[TablePlan]) -> None:
    """Set every sequence owned by a column of the restored tables to the column's
    largest value (the next row gets the one after), or to start at 1."""
    preparer = connection.dialect.identifier_preparer
    for table in plan:
        name = preparer.format_table(table.table)
        for column_name, kind in table.columns:
            if kind != "integer":
                continue
            sequence = connection.exec_driver_sql(
                "SELECT pg_get_serial_sequence(%(table)s, %(column)s)",
                {"table": name, "column": column_name},
            ).scalar()
            if sequence is None:
                continue
            column = preparer.quote(column_name)
            connection.exec_driver_sql(  # names from the metadata, quoted
                f"SELECT setval(%(sequence)s, COALESCE(MAX({column}), 1), "  # noqa: S608
                f"MAX({column}) IS NOT NULL) FROM {name}",
                {"sequence": sequence},
            )
