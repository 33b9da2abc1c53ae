"""How long ``tracker backup`` and ``tracker restore`` take on a generated ledger, against
PostgreSQL's own ``pg_dump -Fc`` and ``pg_restore`` of the same database; and on SQLite,
for information.

    python -m bench.backup                          # a ledger of 1,000,000 moves
    python -m bench.backup --moves 200000 --repeat 3

The ledger is bench.generate's, built through the tracker's posting paths on PostgreSQL
and kept (the database ``bench_ledger_<moves>`` at $BENCH_POSTGRESQL_URL, default
postgresql://postgres@127.0.0.1:5432/postgres, as bench.dashboard makes and keeps it;
--rebuild builds it anew). The SQLite ledger is the PostgreSQL one restored into a new
file (that restore is the SQLite restore measured).

Measured in this run, each the median of --repeat runs, the tracker's and PostgreSQL's
taking turns so that the machine's load weighs on both alike:

a. PostgreSQL: ``tracker backup`` (backup.backup in this process) / ``pg_dump -Fc`` of
   the same database;  goal <= 2
b. PostgreSQL: ``tracker restore`` into a new database migrated to head (the migration
   not timed; the scratch migration that tells a migrated database's own rows is, as
   the command pays it every time) / ``pg_restore`` of the dump into a new, empty
   database (which creates the schema as it goes);  goal <= 2
c. SQLite: the restore of the same backup into a new migrated file, and the backup of
   that file; seconds, for information.

Each restored database is checked to hold as many rows as the backup says, and the
SQLite backup to hold byte for byte the same tables as the PostgreSQL one. Figures
only: this prints them and says which goals are met; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench.dashboard import add_data_arguments, build

GOALS = {"a": 2.0, "b": 2.0}


def _libpq(url: str) -> str:
    """A URL pg_dump and pg_restore read (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def _admin(server: str):
    from tracker.db import make_engine

    return make_engine(server).connect().execution_options(isolation_level="AUTOCOMMIT")


def _new_database(server: str, migrated: bool) -> str:
    from tracker import migrate

    name = f"bench_backup_{uuid.uuid4().hex[:12]}"
    with _admin(server) as admin:
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(False)
    if migrated:
        migrate.upgrade(url)
    return url


def _drop(server: str, url: str) -> None:
    with _admin(server) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _tracker_backup(url: str, path: Path) -> None:
    from tracker import backup
    from tracker.db import make_engine

    engine = make_engine(url)
    try:
        backup.backup(engine, path, overwrite=True)
    finally:
        engine.dispose()


def _tracker_restore(url: str, path: Path) -> None:
    from tracker import backup
    from tracker.db import make_engine

    backup._migrated_rows.cache_clear()  # as every run of the command pays it
    engine = make_engine(url)
    try:
        backup.restore(engine, path)
    finally:
        engine.dispose()


def _pg_dump(url: str, path: Path) -> None:
    subprocess.run(["pg_dump", "-Fc", "-f", str(path), _libpq(url)], check=True)


def _pg_restore(url: str, path: Path) -> None:
    subprocess.run(["pg_restore", "--exit-on-error", "-d", _libpq(url), str(path)], check=True)


def _rows(url: str) -> int:
    """Rows in every table of the models, counted."""
    import tracker.models  # noqa: F401
    from tracker.db import Base, make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return sum(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables
            )
    finally:
        engine.dispose()


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("tables/")}


def _postgresql(url: str, server: str, folder: Path, repeat: int) -> dict[str, list[float]]:
    """Backups and restores of the ledger at ``url``, the tracker's and PostgreSQL's in
    turn."""
    from tracker import backup

    ours, dump = folder / "ledger.zip", folder / "ledger.dump"
    times: dict[str, list[float]] = {k: [] for k in ("backup", "pg_dump", "restore", "pg_rest")}
    for _ in range(repeat):
        times["backup"].append(_timed(lambda: _tracker_backup(url, ours)))
        times["pg_dump"].append(_timed(lambda: _pg_dump(url, dump)))
    rows = backup.verify(ours).rows
    for _ in range(repeat):
        target = _new_database(server, migrated=True)
        try:
            times["restore"].append(_timed(lambda t=target: _tracker_restore(t, ours)))
            restored = _rows(target)
        finally:
            _drop(server, target)
        if restored != rows:
            print(f"    restored {restored:,} rows, the backup holds {rows:,}!")
        target = _new_database(server, migrated=False)
        try:
            times["pg_rest"].append(_timed(lambda t=target: _pg_restore(t, dump)))
        finally:
            _drop(server, target)
    print(
        f"    files: tracker backup {ours.stat().st_size / 1e6:.1f} MB, "
        f"pg_dump -Fc {dump.stat().st_size / 1e6:.1f} MB; {rows:,} rows"
    )
    return times


def _sqlite(folder: Path, repeat: int) -> dict[str, list[float]]:
    """The PostgreSQL backup restored into SQLite, and that file backed up."""
    from tracker import migrate

    source = folder / "ledger.zip"
    times: dict[str, list[float]] = {"restore": [], "backup": []}
    for run in range(repeat):
        url = f"sqlite:///{folder / f'ledger-{run}.sqlite'}"
        migrate.upgrade(url)
        times["restore"].append(_timed(lambda u=url: _tracker_restore(u, source)))
        copy = folder / f"from-sqlite-{run}.zip"
        times["backup"].append(_timed(lambda u=url, c=copy: _tracker_backup(u, c)))
        if _members(copy) != _members(source):
            print("    the SQLite backup's tables differ from the PostgreSQL backup's!")
        Path(make_url(url).database or "").unlink()
    return times


def _goal(name: str, value: float) -> str:
    bound = GOALS[name]
    return f"{value:7.2f}  (goal <= {bound}: {'met' if value <= bound else 'NOT met'})"


def _line(label: str, value: str) -> None:
    print(f"    {label:<62}{value}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from tracker.db import normalize_url

    server = normalize_url(args.postgresql_url).render_as_string(False)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    url, how = build("postgresql", args.moves, data, server, args.rebuild)
    print(f"PostgreSQL ledger of {args.moves:,} moves: {how}", flush=True)
    with tempfile.TemporaryDirectory(dir=data) as scratch:
        folder = Path(scratch)
        pg = _postgresql(url, server, folder, args.repeat)
        lite = _sqlite(folder, args.repeat)
    m = {key: statistics.median(values) for key, values in pg.items()}
    s = {key: statistics.median(values) for key, values in lite.items()}
    print()
    print(f"Medians of {args.repeat} runs, seconds")
    _line("PostgreSQL: tracker backup / pg_dump -Fc", f"{m['backup']:7.2f} / {m['pg_dump']:.2f}")
    _line("PostgreSQL: tracker restore / pg_restore", f"{m['restore']:7.2f} / {m['pg_rest']:.2f}")
    _line("SQLite: tracker backup / tracker restore", f"{s['backup']:7.2f} / {s['restore']:.2f}")
    print("Ratios")
    _line("a. tracker backup / pg_dump -Fc", _goal("a", m["backup"] / m["pg_dump"]))
    _line("b. tracker restore / pg_restore", _goal("b", m["restore"] / m["pg_rest"]))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=1_000_000)
    add_data_arguments(parser)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
