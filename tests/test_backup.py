"""``tracker backup`` and ``tracker restore``: the demo campaign goes to a file and back
row for row, on each engine and from SQLite to PostgreSQL and back; a damaged file, a
backup of another schema, a database that holds data, a path that cannot be written are
each refused on one line, with nothing written."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Numeric, Table, select, text, update
from sqlalchemy.orm import Session

import tracker.models  # noqa: F401
from config import TestConfig
from tests.test_migrations import _differences
from tracker import backup, create_app, migrate
from tracker.db import Base, make_engine

# -- helpers ------------------------------------------------------------------------------


def _run(url: str, *args: str):
    app = create_app(TestConfig, {"DATABASE_URL": url})
    try:
        return app.test_cli_runner().invoke(args=list(args))
    finally:
        app.extensions["tracker.db"].engine.dispose()


def _refused(result, *phrases: str) -> str:
    """The one line a refused command printed (exit status 1, no traceback)."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ")
    for phrase in phrases:
        assert phrase in line, line
    return line


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in the order of their keys, as the models read them."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _manifest(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(backup.MANIFEST))


def _members(path: Path) -> dict[str, tuple[int, str]]:
    """Each table's rows and checksum, as the manifest has them."""
    return {t["name"]: (t["rows"], t["sha256"]) for t in _manifest(path)["tables"]}


def _backup(url: str, path: Path) -> Path:
    result = _run(url, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Backed up "), result.output
    return path


def _restore(url: str, path: Path) -> None:
    result = _run(url, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Restored "), result.output


def _checked(url: str) -> None:
    """The ledger and the audit trail of the database at ``url`` pass their checks."""
    check = _run(url, "ledger", "check")
    assert check.exit_code == 0 and "no differences" in check.output, check.output
    verify = _run(url, "audit", "verify")
    assert verify.exit_code == 0 and "chain intact" in verify.output, verify.output


def _repack(source: Path, target: Path, change) -> Path:
    """A copy of a backup whose members ``change(name, data)`` rewrites (None drops one)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


def _with_manifest(source: Path, target: Path, edit) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != backup.MANIFEST:
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return _repack(source, target, change)


@pytest.fixture
def demo_backup(demo_url: str, tmp_path: Path) -> Path:
    return _backup(demo_url, tmp_path / "demo.zip")


@pytest.fixture
def empty_rows(database) -> dict[str, list[tuple[Any, ...]]]:
    """What a database holds once migrated (a row of settings)."""
    return _rows(database.fresh())


# -- the format ----------------------------------------------------------------------------


def test_every_column_of_the_models_has_a_way_to_be_written():
    plans = backup.plans()
    assert [plan.name for plan in plans] == [t.name for t in Base.metadata.sorted_tables]
    kinds = {kind for plan in plans for _, kind in plan.columns}
    assert kinds <= set(backup.KINDS)
    assert {"integer", "text", "boolean", "timestamp", "date", "json"} <= kinds


def test_a_column_the_format_cannot_write_is_named():
    table = Table("prices", MetaData(), Column("id", Integer, primary_key=True))
    table.append_column(Column("amount", Numeric(10, 2)))
    with pytest.raises(backup.BackupRefused, match=r"prices\.amount .*teach tracker/backup\.py"):
        backup.plans([table])


@pytest.mark.parametrize(
    "value",
    ["", "plain", "\\N", "a\tb", "line\nbreak\r\n", "back\\slash\\", "\b\f\v", "Ünï €", "\\\\N"],
)
def test_text_is_escaped_and_read_back_exactly(value):
    written = backup.escape(value)
    assert "\t" not in written and "\n" not in written and "\r" not in written
    assert written != backup.NULL
    assert backup.unescape(written) == value


def test_times_are_written_as_postgresql_writes_them():
    from datetime import UTC, datetime, timedelta, timezone

    write = backup._WRITE["timestamp"]
    assert write(datetime(2024, 1, 21, 19, 30, tzinfo=UTC)) == "2024-01-21 19:30:00+00"
    assert write(datetime(2024, 1, 21, 19, 30, 0, 250000)) == "2024-01-21 19:30:00.25+00"
    paris = timezone(timedelta(hours=1))
    assert write(datetime(2024, 1, 21, 20, 30, 0, 1, tzinfo=paris)) == (
        "2024-01-21 19:30:00.000001+00"
    )
    assert backup._READ["timestamp"]("2024-01-21 19:30:00.25+00") == datetime(
        2024, 1, 21, 19, 30, 0, 250000
    )


def test_sqlite_timestamps_take_the_short_way_to_the_same_text():
    """SQLite's stored text of a timestamp becomes the backup's text, and back, without a
    datetime in between: the same text as the long way, through SQLAlchemy's types."""
    from datetime import UTC, datetime

    from sqlalchemy.dialects import sqlite

    from tracker.db import UTCDateTime

    dialect = sqlite.dialect()
    stored = backup.storage_type(UTCDateTime()).dialect_impl(dialect)
    to_sqlite = stored.bind_processor(dialect)
    from_sqlite = stored.result_processor(dialect, None)
    write, read = backup._WRITE["timestamp"], backup._READ["timestamp"]
    out = backup._stored_timestamp(from_sqlite, lambda v: write(from_sqlite(v)))
    back = backup._sqlite_timestamp(to_sqlite, lambda t: to_sqlite(read(t)))
    for moment in (
        datetime(2024, 1, 21, 19, 30, tzinfo=UTC),
        datetime(2024, 1, 21, 19, 30, 10, tzinfo=UTC),
        datetime(2024, 1, 21, 19, 30, 10, 100000, tzinfo=UTC),
        datetime(2024, 1, 21, 19, 30, 10, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        kept = to_sqlite(moment.replace(tzinfo=None))
        assert out(kept) == write(moment)
        assert back(write(moment)) == kept
    assert out("2024-01-21 19:30:00") == "2024-01-21 19:30:00+00"  # written by hand


# -- round trips -----------------------------------------------------------------------------


def test_the_demo_goes_to_a_file_and_back_row_for_row(database, demo_url, demo_backup, tmp_path):
    """Restored into a new database of the same engine, every table holds the same rows;
    the ledger and the audit chain check; the schema (triggers included) is the models';
    a backup of the copy is byte for byte the first one's tables; and new rows get new
    ids after the restored ones (sequences on PostgreSQL)."""
    manifest = _manifest(demo_backup)
    assert manifest["format"] == "tracker-backup"
    assert manifest["schema_revision"] == backup.code_revision()
    assert manifest["engine"].startswith(database.engine_name)
    assert [t["name"] for t in manifest["tables"]] == [t.name for t in Base.metadata.sorted_tables]

    copy = database.fresh()
    _restore(copy, demo_backup)
    source = _rows(demo_url)
    restored = _rows(copy)
    for name, rows in source.items():
        assert restored[name] == rows, name
    assert len(source["moves"]) > 1000 and len(source["audit_chain"]) > 1000
    _checked(copy)
    assert _differences(copy) == []

    again = _backup(copy, tmp_path / "again.zip")
    assert _members(again) == _members(demo_backup)

    added = _run(copy, "places", "add-section", "--name", "Narnia", "--country", "NA",
                 "--currency", "NAD")  # fmt: skip
    assert added.exit_code == 0, added.output
    _checked(copy)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_sqlite_to_postgresql_and_back(database, tmp_path):
    """The demo on SQLite, restored into PostgreSQL, backed up there and restored into
    SQLite again: the same rows all the way, the same bytes in every table's file, and
    clean checks on each."""
    from tests.factories import PASSWORD
    from tracker import demo
    from tracker.passwords import make_hasher

    first = f"sqlite:///{tmp_path / 'first.sqlite'}"
    migrate.upgrade(first)
    engine = make_engine(first)
    hasher = make_hasher(
        TestConfig.ARGON2_TIME_COST, TestConfig.ARGON2_MEMORY_COST, TestConfig.ARGON2_PARALLELISM
    )
    with Session(engine) as session:
        demo.load(session, hasher, {a[0]: PASSWORD for a in demo.ACCOUNTS})
        session.commit()
    engine.dispose()

    from_sqlite = _backup(first, tmp_path / "from-sqlite.zip")
    postgresql = database.fresh()
    _restore(postgresql, from_sqlite)
    from_postgresql = _backup(postgresql, tmp_path / "from-postgresql.zip")
    last = f"sqlite:///{tmp_path / 'last.sqlite'}"
    migrate.upgrade(last)
    _restore(last, from_postgresql)

    assert _manifest(from_postgresql)["engine"].startswith("postgresql")
    assert _members(from_postgresql) == _members(from_sqlite)
    rows = _rows(first)
    assert _rows(postgresql) == rows
    assert _rows(last) == rows
    for url in (postgresql, last):
        _checked(url)
        assert _differences(url) == []


def test_progress_is_told_rows_as_they_go(database, demo_url, tmp_path):
    seen: dict[str, list[int]] = {}

    class Bar:
        def __init__(self, label: str):
            self.label = label

        def __enter__(self):
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def update(self, n: int) -> None:
            seen[self.label].append(n)

    def progress(total: int, label: str) -> Bar:
        seen[label] = [total]
        return Bar(label)

    engine = make_engine(demo_url)
    try:
        made = backup.backup(engine, tmp_path / "b.zip", progress=progress)
    finally:
        engine.dispose()
    copy = make_engine(database.fresh())
    try:
        backup.restore(copy, tmp_path / "b.zip", progress=progress)
    finally:
        copy.dispose()
    for label in ("Backing up", "Checking", "Restoring"):
        total, *steps = seen[label]
        assert total == made.rows == sum(steps), label


# -- refusals: the file -----------------------------------------------------------------------


def _data_offset(path: Path, member: str) -> tuple[int, int]:
    """Where a member's compressed bytes start in the file, and how many there are."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    with path.open("rb") as handle:
        handle.seek(info.header_offset + 26)
        name_length = int.from_bytes(handle.read(2), "little")
        extra_length = int.from_bytes(handle.read(2), "little")
    return info.header_offset + 30 + name_length + extra_length, info.compress_size


def _flipped(source: Path, target: Path, at: int) -> Path:
    data = bytearray(source.read_bytes())
    data[at] ^= 0x20
    target.write_bytes(bytes(data))
    return target


def _changed_rows(name: str, data: bytes) -> bytes:
    if name != "tables/moves.tsv":
        return data
    header, first, rest = data.split(b"\n", 2)
    fields = first.split(b"\t")
    fields[3] = str(int(fields[3]) + 1).encode()  # qty
    return b"\n".join([header, b"\t".join(fields), rest])


def _flip_a_byte_of_the_moves(source: Path, bad: Path) -> None:
    start, length = _data_offset(source, "tables/moves.tsv")
    _flipped(source, bad, start + length // 2)


def _drop(member: str):
    return lambda source, bad: _repack(source, bad, lambda n, d: None if n == member else d)


def _manifest_edit(edit):
    return lambda source, bad: _with_manifest(source, bad, edit)


DAMAGES = {
    "flip a byte of the moves": (_flip_a_byte_of_the_moves, ["is damaged", "tables/moves.tsv"]),
    "cut in half": (
        lambda source, bad: bad.write_bytes(source.read_bytes()[: source.stat().st_size // 2]),
        ["is damaged", "cut short"],
    ),
    "cut its last bytes": (
        lambda source, bad: bad.write_bytes(source.read_bytes()[:-10]),
        ["is damaged"],
    ),
    "change a row, keep the manifest": (
        lambda source, bad: _repack(source, bad, _changed_rows),
        ["is damaged", "does not match its checksum"],
    ),
    "drop a table's file": (
        _drop("tables/moves.tsv"),
        ["is damaged", "has no tables/moves.tsv"],
    ),
    "no manifest": (_drop(backup.MANIFEST), ["is not a tracker backup", "no manifest.json"]),
    "another program's zip": (
        _manifest_edit(lambda m: m.update(format="something else")),
        ["is not a tracker backup"],
    ),
    "not a zip": (
        lambda source, bad: bad.write_text("id\tname\n1\tAlan Woods\n"),
        ["is not a tracker backup (not a zip file)"],
    ),
    "a newer format": (
        _manifest_edit(lambda m: m.update(format_version=2)),
        ["format version 2", "does not read"],
    ),
    "a table too many": (
        _manifest_edit(lambda m: m["tables"].append(m["tables"][0])),
        ["does not hold this tracker's tables"],
    ),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_file_is_refused_and_nothing_written(
    database, demo_backup, empty_rows, tmp_path, damage
):
    spoil, phrases = DAMAGES[damage]
    bad = tmp_path / "bad.zip"
    spoil(demo_backup, bad)
    url = database.fresh()
    _refused(_run(url, "restore", str(bad)), *phrases)
    assert _rows(url) == empty_rows


def test_any_byte_damaged_is_refused_or_harmless(demo_backup, tmp_path):
    """Whichever byte is damaged, checking the file either refuses it (never with
    another error) or finds every table's bytes as they were (a byte of no consequence,
    such as a member's date)."""
    original = backup.verify(demo_backup)
    size = demo_backup.stat().st_size
    bad = tmp_path / "bad.zip"
    refused = 0
    for at in range(0, size, max(1, size // 300)):
        _flipped(demo_backup, bad, at)
        try:
            found = backup.verify(bad)
        except backup.BackupRefused as error:
            assert str(bad) in error.message
            refused += 1
        else:
            assert found == original
    assert refused > 250


# -- refusals: schema revisions and databases ---------------------------------------------------


def test_a_backup_of_another_schema_revision_is_refused(
    database, demo_backup, empty_rows, tmp_path
):
    older = migrate.script_heads()[0]
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    previous = scripts.get_revision(older).down_revision
    url = database.fresh()
    bad = _with_manifest(
        demo_backup, tmp_path / "old.zip", lambda m: m.update(schema_revision=previous)
    )
    _refused(
        _run(url, "restore", str(bad)),
        f"made at schema revision {previous}",
        f"this tracker's is {older}",
        "older release that made it",
        "`tracker db upgrade`",
        "Nothing was restored.",
    )
    newer = _with_manifest(
        demo_backup, tmp_path / "new.zip", lambda m: m.update(schema_revision="f00")
    )
    _refused(_run(url, "restore", str(newer)), "does not know that revision", "newer release")
    assert _rows(url) == empty_rows


def test_a_database_that_holds_rows_is_refused(database, demo_url, demo_backup, tmp_path):
    full = database.clone(demo_url)
    before = _rows(full)
    _refused(
        _run(full, "restore", str(demo_backup)),
        "The database is not empty (authors, countries,",
        "`tracker db upgrade`, then `tracker restore`",
        "Nothing was restored.",
    )
    assert _rows(full) == before

    # A migrated database whose settings someone changed holds data too.
    changed = database.fresh()
    engine = make_engine(changed)
    with engine.begin() as connection:
        connection.execute(update(Base.metadata.tables["settings"]).values(alert_copies=5))
    engine.dispose()
    _refused(_run(changed, "restore", str(demo_backup)), "not empty (settings hold rows)")


def test_a_database_not_migrated_to_this_revision_is_refused(database, demo_backup, tmp_path):
    blank = database.fresh(migrated=False)
    for command in (["restore", str(demo_backup)], ["backup", str(tmp_path / "x.zip")]):
        _refused(_run(blank, *command), "no tables yet", "run `tracker db upgrade` first")
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    older = database.fresh(migrated=False)
    migrate.upgrade(older, scripts.get_revision(migrate.script_heads()[0]).down_revision)
    _refused(
        _run(older, "restore", str(demo_backup)),
        "The database is at schema revision",
        "run `tracker db upgrade` first, then restore",
    )


def test_a_failure_half_way_leaves_the_database_empty(database, demo_backup, empty_rows, tmp_path):
    """The last table's file holds a row the database refuses (a key pointing nowhere),
    with a manifest and checksums that agree: everything loaded before it is undone."""
    import hashlib

    last = backup.plans()[-1]
    assert last.table.foreign_keys
    line = "\t".join("999999" for _ in last.columns) + "\n"

    def change(name: str, data: bytes) -> bytes:
        if name == last.file:
            return data + line.encode()
        if name != backup.MANIFEST:
            return data
        manifest = json.loads(data)
        entry = next(t for t in manifest["tables"] if t["name"] == last.name)
        with zipfile.ZipFile(demo_backup) as archive:
            content = archive.read(last.file) + line.encode()
        entry.update(
            rows=entry["rows"] + 1, bytes=len(content), sha256=hashlib.sha256(content).hexdigest()
        )
        return json.dumps(manifest).encode()

    bad = _repack(demo_backup, tmp_path / "bad.zip", change)
    url = database.fresh()
    _refused(_run(url, "restore", str(bad)), "The database refused", "Nothing was restored.")
    assert _rows(url) == empty_rows
    assert _differences(url) == []  # keys and indexes set aside for the load are back


# -- refusals: paths ---------------------------------------------------------------------------


def test_paths_that_cannot_be_written_or_read(database, demo_url, tmp_path):
    missing = tmp_path / "no such folder" / "b.zip"
    _refused(_run(demo_url, "backup", str(missing)), f"Cannot write {missing}")
    a_file = tmp_path / "a file"
    a_file.write_text("not a folder")
    _refused(_run(demo_url, "backup", str(a_file / "b.zip")), "Cannot write", "Not a directory")
    assert a_file.read_text() == "not a folder"

    kept = tmp_path / "kept.zip"
    kept.write_bytes(b"an older backup")
    _refused(_run(demo_url, "backup", str(kept)), "exists already", "--force")
    assert kept.read_bytes() == b"an older backup"
    forced = _run(demo_url, "backup", "--force", str(kept))
    assert forced.exit_code == 0, forced.output
    assert backup.verify(kept).rows > 0
    assert kept.stat().st_mode & 0o777 == 0o600  # it holds the password hashes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file", "kept.zip"]  # no leftovers

    folder = _run(demo_url, "backup", str(tmp_path))
    assert folder.exit_code != 0 and "is a directory" in folder.output

    nowhere = tmp_path / "nowhere.zip"
    _refused(_run(database.fresh(), "restore", str(nowhere)), f"Cannot read {nowhere}")


def test_a_backup_is_a_zip_a_person_can_read(demo_backup):
    """The manifest says how values are written; each table's file is its header and a
    line per row, as many as the manifest counts."""
    manifest = _manifest(demo_backup)
    assert set(manifest["encoding"]) >= {"null", "timestamp", "boolean", "json", "bytes"}
    with zipfile.ZipFile(demo_backup) as archive:
        for table in manifest["tables"]:
            lines = archive.read(table["file"]).decode().split("\n")
            assert lines[-1] == ""
            assert lines[0].split("\t") == [name for name, _ in table["columns"]]
            assert len(lines) - 2 == table["rows"]
        settings = archive.read("tables/settings.tsv").decode().splitlines()
    assert settings[1].split("\t")[0] == "1"


@pytest.fixture
def scratch_engine(database):
    engine = make_engine(database.fresh())
    yield engine
    engine.dispose()


def test_the_append_only_rules_hold_after_a_restore(scratch_engine, demo_backup):
    """The restore only inserts: the triggers still refuse changing a move or an audit
    row."""
    backup.restore(scratch_engine, demo_backup)
    for statement in ("UPDATE moves SET qty = qty + 1", "DELETE FROM audit_log"):
        with (
            pytest.raises(Exception, match="immutable|append-only"),
            scratch_engine.begin() as connection,
        ):
            connection.execute(text(statement))
