"""What importing a file of past sales costs: 100,000 sale rows through ``tracker
import sales`` (the service call: every row checked by the sale's rules, written at one
go with the ledger's balances, roll-up, tallies and an audit entry per place,
committed), against the database's own bulk load of the same rows into the same tables
(documents, sales, sale lines, moves: COPY on PostgreSQL, executemany on SQLite), both
in this run.

    python -m bench.imports                          # 100,000 rows, both engines
    python -m bench.imports --rows 20000 --engines sqlite

Each engine gets two fresh databases with the same small world (an edition, a section
whose store received the copies a year ago): the import runs in one, the bulk load of
the rows the import wrote in the other. PostgreSQL is reached at $BENCH_POSTGRESQL_URL
(default postgresql://postgres@127.0.0.1:5432/postgres). Goals: the import at most 3
times the bulk load on PostgreSQL, 5 times on SQLite. Figures only: it asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

GOALS = {"postgresql": 3.0, "sqlite": 5.0}
ISBN = "9781913026868"
TABLES = ("documents", "sales", "sale_lines", "moves")


def _fresh(engine: str, server: str, folder: Path) -> str:
    from tracker import migrate

    name = f"bench_imports_{uuid.uuid4().hex[:8]}"
    if engine == "sqlite":
        url = f"sqlite:///{folder / f'{name}.sqlite'}"
    else:
        from bench.dashboard import _admin

        with _admin(server) as admin:
            admin.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server).set(database=name).render_as_string(False)
    migrate.upgrade(url)
    return url


def _world(url: str, copies: int) -> None:
    """An edition, Britain, and ``copies`` in its store since a year ago."""
    from tracker.db import make_engine
    from tracker.ledger import MoveLine
    from tracker.services import catalogue, places
    from tracker.services.places import location_by_code
    from tracker.services.stock import post_document

    db = make_engine(url)
    with Session(db) as session:
        title = catalogue.create_title(session, name="In Defence of Lenin", authors=["Alan Woods"])
        edition = catalogue.create_edition(
            session,
            title=title,
            isbn=ISBN,
            language="en",
            format="paperback",
            list_price="25.00",
            currency="GBP",
        )
        places.ensure_publisher_locations(session)
        places.create_section(session, name="Britain", country_code="GB", currency="GBP")
        at = datetime.now(UTC) - timedelta(days=365)
        for kind, source, target in (
            ("print_run", "PRINTER", "WH"),
            ("dispatch", "WH", "GB-TRANSIT"),
            ("receipt", "GB-TRANSIT", "GB-STORE"),
        ):
            line = MoveLine(
                kind,
                edition.id,
                copies,
                location_by_code(session, source).id,
                location_by_code(session, target).id,
            )
            post_document(session, kind, [line], occurred_at=at)
        session.commit()
    db.dispose()


def _file(rows: int) -> bytes:
    """``rows`` sales of one copy each over the last 60 days, as a section's sheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "time", "place", "edition", "copies", "price", "payment"])
    today = date.today()
    for i in range(rows):
        day = today - timedelta(days=1 + i % 60)
        writer.writerow(
            [day.isoformat(), f"{9 + i % 10}:{i % 60:02d}", "GB-STORE", ISBN, "1", "10.00", "cash"]
        )
    return out.getvalue().encode()


def _import(url: str, data: bytes) -> tuple[float, int]:
    from tracker.db import make_engine
    from tracker.services import imports

    db = make_engine(url)
    try:
        with Session(db) as session:
            started = time.perf_counter()
            outcome = imports.run(session, None, "sales", data, filename="sales.csv")
            assert not outcome.problems, outcome.problems[:5]
            session.commit()
            took = time.perf_counter() - started
        return took, outcome.rows
    finally:
        db.dispose()


def _written(url: str) -> dict[str, list[dict]]:
    """The rows the import wrote in the tables a bulk load fills."""
    from tracker.db import make_engine, table_of
    from tracker.models import Document, Move, Sale, SaleLine

    db = make_engine(url)
    rows: dict[str, list[dict]] = {}
    try:
        with Session(db) as session:
            for name, model in zip(TABLES, (Document, Sale, SaleLine, Move), strict=True):
                table = table_of(model)
                query = select(table)
                if name == "documents" or name == "moves":
                    query = query.where(table.c.kind == "sale")
                rows[name] = [dict(row._mapping) for row in session.execute(query)]
    finally:
        db.dispose()
    return rows


def _bulk(engine: str, url: str, rows: dict[str, list[dict]]) -> float:
    from tracker.db import make_engine, table_of
    from tracker.models import Document, Move, Sale, SaleLine

    models = dict(zip(TABLES, (Document, Sale, SaleLine, Move), strict=True))
    db = make_engine(url)
    try:
        with db.connect() as connection:
            started = time.perf_counter()
            if engine == "postgresql":
                raw = connection.connection.driver_connection
                assert raw is not None
                with raw.cursor() as cursor:
                    for name in TABLES:
                        columns = list(rows[name][0])
                        with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in rows[name]:
                                copy.write_row([row[c] for c in columns])
                raw.commit()
            else:
                for name in TABLES:
                    connection.execute(insert(table_of(models[name])), rows[name])
                connection.commit()
            took = time.perf_counter() - started
            count = connection.execute(select(func.count()).select_from(table_of(Move))).scalar()
            assert count and count >= len(rows["moves"])
    finally:
        db.dispose()
    return took


def _drop(engine: str, url: str, server: str) -> None:
    if engine == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
        return
    from bench.dashboard import _admin

    with _admin(server) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def measure(engine: str, server: str, rows: int, folder: Path) -> None:
    data = _file(rows)
    urls = [_fresh(engine, server, folder) for _ in range(2)]
    try:
        for url in urls:
            _world(url, rows * 2)
        took, read = _import(urls[0], data)
        written = _written(urls[0])
        bulk = _bulk(engine, urls[1], written)
        ratio = took / bulk
        goal = GOALS[engine]
        print(f"{engine}: {read:,} sale rows ({len(data) / 1e6:.1f} MB of CSV)")
        print(f"  tracker import sales   {took:8.2f} s  ({read / took:,.0f} rows/s)")
        loaded = sum(len(r) for r in written.values())
        how = "COPY" if engine == "postgresql" else "executemany"
        print(f"  bulk load ({how:11s}) {bulk:8.2f} s  ({loaded:,} rows in {len(TABLES)} tables)")
        verdict = "met" if ratio <= goal else "NOT met"
        print(f"  ratio                  {ratio:8.2f} x  (goal at most {goal:.0f} x: {verdict})")
    finally:
        for url in urls:
            _drop(engine, url, server)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get(
            "BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for engine in args.engines.split(","):
            measure(engine.strip(), args.postgresql_url, args.rows, Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
