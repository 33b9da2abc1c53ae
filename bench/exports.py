"""How fast, and in how much memory, an event report with a hundred thousand sales is
exported (CSV, XLSX) and shown, on SQLite and on PostgreSQL.

    python -m bench.exports                              # 100,000 sales, both engines
    python -m bench.exports --sales 20000 --engines sqlite

The event is built once per engine and kept (``bench/data/exports-<sales>.sqlite``,
the PostgreSQL database ``bench_exports_<sales>`` at $BENCH_POSTGRESQL_URL, default
postgresql://postgres@127.0.0.1:5432/postgres); --rebuild builds it anew. Around it, a
small generated campaign (bench.generate). The event's copies are printed, brought to
its table and signed through the tracker's services; its sales are written in bulk, as
the sale service writes them (a document with its key, the sale, its lines, a move per
line) with the balances, the weekly roll-up and the place's tally changed by the
ledger's own statements; a few hundred are then voided through the service, and the
event is closed. ``tracker ledger check`` finds the ledger consistent afterwards (the
build says so). The bulk sales have no audit entries (the exports do not read them).

Measured in this run, each export and page in a fresh process (the worker): the app
as an admin gets it through the Flask test client, the whole body read; seconds (the
median of --repeat runs) and the process's peak memory during the request (its
resident set's high-water mark, VmHWM, counted from just before the request).
Against, in the same run:

* a raw SELECT: the export's own query through the driver, every row fetched;
* csv.writer: the same rows written as CSV by the csv module, nothing else;
* openpyxl: the same rows written by openpyxl's write-only workbook, nothing else.

Goal: 100,000 rows in under 5 s with the worker under 150 MiB on both engines. Figures
only: this prints them and their ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.dashboard import (
    EMAIL,
    PASSWORD,
    ROOT,
    _admin,
    _analyze,
    _log_in,
    _median,
    add_data_arguments,
)

if TYPE_CHECKING:
    from tracker.models import Edition, Event, Section, User

GOAL_SECONDS = 5.0
GOAL_MIB = 150.0
BATCH = 5_000
BUYERS = ["Sam", "Aisha", "Jonas", "María", "Bilal", "Chloé", "Tomás", "Ayesha"]
METHODS = [("cash", 50), ("card", 40), ("bank_transfer", 7), ("other", 3)]


# -- the event ---------------------------------------------------------------------------


def _url(engine: str, sales: int, data: Path, server: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{data / f'exports-{sales}.sqlite'}"
    return make_url(server).set(database=f"bench_exports_{sales}").render_as_string(False)


def _kept(engine: str, url: str, server: str) -> int | None:
    """The id of the event a database built earlier holds, if it is complete."""
    from tracker.db import make_engine
    from tracker.models import Event, User

    if engine == "sqlite":
        if not Path(make_url(url).database).exists():
            return None
    else:
        with _admin(server) as admin:
            name = make_url(url).database
            found = admin.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not found.scalar():
                return None
    db = make_engine(url)
    try:
        with Session(db) as session:
            if session.scalar(select(User.id).where(User.email == EMAIL)) is None:
                return None
            return session.scalar(select(Event.id).where(Event.name == "Bench festival"))
    except Exception:
        return None
    finally:
        db.dispose()


def _fresh(engine: str, url: str, server: str) -> None:
    if engine == "sqlite":
        Path(make_url(url).database).unlink(missing_ok=True)
        return
    name = make_url(url).database
    with _admin(server) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.execute(text(f'CREATE DATABASE "{name}"'))


def build(engine: str, sales: int, data: Path, server: str, rebuild: bool) -> tuple[str, int, str]:
    """The URL of a database holding the event of ``sales`` sales, its id, and how it
    came to be."""
    from tracker import migrate

    url = _url(engine, sales, data, server)
    event_id = None if rebuild else _kept(engine, url, server)
    if event_id is not None:
        migrate.upgrade(url)  # revisions added since it was built
        _analyze(url)
        return url, event_id, "kept from an earlier run"
    _fresh(engine, url, server)
    migrate.upgrade(url)
    started = time.perf_counter()
    event_id, check = _build_event(url, sales)
    took = time.perf_counter() - started
    _analyze(url)
    return url, event_id, f"built in {took:.0f} s; ledger check: {check}"


def _plan(rng: random.Random, sales: int, editions: list) -> list[dict]:
    """Each sale: when, how paid, who bought, its lines (edition, condition, copies,
    price)."""
    methods = [m for m, _ in METHODS]
    weights = [w for _, w in METHODS]
    plan = []
    for _ in range(sales):
        lines = []
        for _line in range(1 if rng.random() < 0.85 else 2):
            edition = rng.choices(editions, weights=[6, 3, 1])[0]
            condition = "signed" if rng.random() < 0.2 else "unsigned"
            if any(e is edition and c == condition for e, c, *_ in lines):
                continue
            qty = 1 if rng.random() < 0.8 else rng.choice((2, 3))
            price = edition.list_price_minor if rng.random() < 0.9 else 1000  # solidarity
            lines.append((edition, condition, qty, price))
        plan.append(
            {
                "method": rng.choices(methods, weights=weights)[0],
                "buyer": rng.choice(BUYERS) if rng.random() < 0.1 else None,
                "lines": lines,
            }
        )
    return plan


def _build_event(url: str, sales: int) -> tuple[int, str]:
    from tracker.db import make_engine

    rng = random.Random(11)
    db = make_engine(url)
    try:
        with Session(db) as session:
            user, section, editions = _campaign(session)
            event = _create_event(session, section)
            plan = _plan(rng, sales, editions)
            _stock_the_table(session, section, event, editions, plan)
            session.commit()

            print(f"    {sales:,} sales...", flush=True)
            writer = _SalesWriter(session, user.id, section, event)
            for first in range(0, sales, BATCH):
                batch = plan[first : first + BATCH]
                writer.write(batch, first, sales)
                print(f"    {first + len(batch):,}", end="\r", flush=True)
            writer.apply_totals()
            session.commit()

            _void_and_close(session, rng, event, sales)
            session.commit()
            return event.id, _ledger_check(session, event)
    finally:
        db.dispose()


def _campaign(session: Session) -> tuple[User, Section, list[Edition]]:
    """A small generated campaign, the account the measures log in with, and the first
    section and the editions."""
    from bench.generate import generate
    from tracker.domain.accounts import Role
    from tracker.models import Edition, Section
    from tracker.passwords import make_hasher
    from tracker.services import accounts

    print("    a small campaign around the event...", flush=True)
    generate(session, moves=5_000, countries=15, seed=5)
    user, _ = accounts.create_user(
        session, make_hasher(1, 1024, 1), email=EMAIL, role=Role.ADMIN, password=PASSWORD
    )
    section = session.scalars(select(Section).order_by(Section.id)).first()
    editions = list(session.scalars(select(Edition).order_by(Edition.id)))
    return user, section, editions


def _create_event(session: Session, section: Section) -> Event:
    """A three-day festival that ended yesterday."""
    from tracker.services import events as event_service

    today = date.today()
    return event_service.create_event(
        session,
        None,
        section.id,
        event_service.EventDetails(
            name="Bench festival",
            kind="festival",
            starts_on=today - timedelta(days=3),
            ends_on=today - timedelta(days=1),
            city="London",
            expected_attendance=60_000,
        ),
    )


def _opened(event: Event) -> datetime:
    return datetime.combine(event.starts_on, datetime.min.time(), UTC)


def _stock_the_table(
    session: Session, section: Section, event: Event, editions: list[Edition], plan: list[dict]
) -> None:
    """The copies the sales need (and fifty more of each edition) printed into the
    section's store a week before, brought to the event's table and, as many as the
    sales want signed (and ten more), signed there."""
    from tracker.domain.places import LocationKind
    from tracker.ledger import MoveLine
    from tracker.models import Author
    from tracker.services import movements, places
    from tracker.services import places as places_service
    from tracker.services import signings as signings_service
    from tracker.services.stock import post_document

    needed = defaultdict(int)
    for sale in plan:
        for edition, condition, qty, _price in sale["lines"]:
            needed[(edition.id, condition)] += qty
    store = places_service.store_of(section)
    printer = places.publisher_location(session, LocationKind.PRINTER)
    opened = _opened(event)
    for edition in editions:
        copies = needed[(edition.id, "unsigned")] + needed[(edition.id, "signed")] + 50
        post_document(
            session,
            "print_run",
            [MoveLine("print_run", edition.id, copies, printer.id, store.id)],
            occurred_at=opened - timedelta(days=7),
        )
        movements.transfer(
            session,
            None,
            from_location_id=store.id,
            to_location_id=event.location_id,
            lines=[movements.Copies(edition.id, copies)],
            when=opened + timedelta(hours=8),
        )
    authors = list(session.scalars(select(Author.id)))
    for edition in editions:
        signings_service.sign(
            session,
            None,
            event_id=event.id,
            edition_id=edition.id,
            qty=needed[(edition.id, "signed")] + 10,
            author_ids=authors,
            when=opened + timedelta(hours=9),
        )


class _SalesWriter:
    """The event's sales written in bulk, batch by batch, as the sale service writes
    them; what they change in the balances, the weekly roll-up and the table's tally is
    added up, and applied at the end by the statements postings run."""

    def __init__(self, session: Session, user_id: int, section: Section, event: Event):
        from tracker.domain.places import LocationKind

        self.session = session
        self.user_id = user_id
        self.section = section
        self.event = event
        self.table = event.location_id
        self.customers = section.location_of_kind(LocationKind.CUSTOMERS).id
        self.opened = _opened(event)
        self.now = datetime.now(UTC)
        self.balances: dict[tuple[int, int, str], int] = defaultdict(int)
        self.flows: dict[tuple[date, int, int, str], int] = defaultdict(int)
        self.tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])

    def write(self, batch: list[dict], first: int, sales: int) -> None:
        """The sales ``first`` to ``first + len(batch)`` of ``sales``."""
        from tracker.models import Move, Sale, SaleLine

        # Three days of twelve hours, from nine in the morning.
        times = []
        for i in range(len(batch)):
            hours = 36 * (first + i) / sales
            day, within = divmod(hours, 12)
            times.append(self.opened + timedelta(days=day, hours=9 + within))
        ids = self._documents(len(batch))
        self.session.execute(
            insert(Sale.__table__),
            [
                {
                    "document_id": doc,
                    "section_id": self.section.id,
                    "event_id": self.event.id,
                    "location_id": self.table,
                    "payment_method": sale["method"],
                    "buyer_name": sale["buyer"],
                    "currency": self.section.currency,
                    "sold_at": at,
                }
                for doc, sale, at in zip(ids, batch, times, strict=True)
            ],
        )
        lines, moves = [], []
        for doc, sale, at in zip(ids, batch, times, strict=True):
            self._sale(doc, sale, at, lines, moves)
        self.session.execute(insert(SaleLine.__table__), lines)
        self.session.execute(insert(Move.__table__), moves)

    def _documents(self, count: int) -> list[int]:
        """The ids of ``count`` new sale documents."""
        from tracker.models import Document

        table = Document.__table__
        return list(
            self.session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [
                    {
                        "kind": "sale",
                        "created_at": self.now,
                        "created_by_id": self.user_id,
                        "submission_key": uuid.uuid4().hex,
                    }
                    for _ in range(count)
                ],
            ).scalars()
        )

    def _sale(self, doc: int, sale: dict, at: datetime, lines: list, moves: list) -> None:
        """One sale's lines and moves (added to ``lines`` and ``moves``), and counted."""
        from tracker.domain.periods import week_of

        week = week_of(at)
        tallied = self.tally[sale["method"]]
        tallied[0] += 1
        for edition, condition, qty, price in sale["lines"]:
            lines.append(
                {
                    "sale_id": doc,
                    "edition_id": edition.id,
                    "condition": condition,
                    "qty": qty,
                    "unit_price_minor": price,
                }
            )
            moves.append(
                {
                    "document_id": doc,
                    "edition_id": edition.id,
                    "qty": qty,
                    "from_location_id": self.table,
                    "from_condition": condition,
                    "to_location_id": self.customers,
                    "to_condition": condition,
                    "kind": "sale",
                    "occurred_at": at,
                    "created_at": self.now,
                    "created_by_id": self.user_id,
                }
            )
            self._count(week, edition.id, condition, qty)
            tallied[1] += qty
            tallied[2] += qty * price

    def _count(self, week: date, edition_id: int, condition: str, qty: int) -> None:
        from tracker.domain.stock import flows_of

        self.balances[(self.table, edition_id, condition)] -= qty
        self.balances[(self.customers, edition_id, condition)] += qty
        for metric, location, sign in flows_of(
            "sale", self.table, condition, self.customers, condition
        ):
            self.flows[(week, location, edition_id, metric)] += sign * qty

    def apply_totals(self) -> None:
        """The balances, the roll-up and the tally, by the statements postings run."""
        from tracker.ledger import posting
        from tracker.models import Edition
        from tracker.services import sales as sales_service

        session = self.session
        dialect = session.get_bind().dialect.name
        for key in sorted(self.balances):
            if self.balances[key] < 0:
                posting._take(
                    session,
                    key,
                    -self.balances[key],
                    self.event.location,
                    session.get(Edition, key[1]),
                )
            else:
                posting._add(session, key, self.balances[key], is_source=False)
        session.execute(
            posting._upsert_flow(dialect),
            [
                {"week": w, "location_id": loc, "edition_id": ed, "metric": m, "qty": q}
                for (w, loc, ed, m), q in sorted(self.flows.items())
                if q
            ],
        )
        session.execute(
            sales_service._tally_upsert(dialect),
            [
                {
                    "location_id": self.table,
                    "payment_method": method,
                    "sales": n,
                    "copies": copies,
                    "amount_minor": amount,
                }
                for method, (n, copies, amount) in self.tally.items()
            ],
        )


def _void_and_close(session: Session, rng: random.Random, event: Event, sales: int) -> None:
    """A few hundred sales voided through the service, then the event closed."""
    from tracker.models import Sale
    from tracker.services import events as event_service
    from tracker.services import sales as sales_service

    voids = sales // 500
    ids = session.scalars(
        select(Sale.document_id).where(Sale.event_id == event.id).order_by(Sale.document_id)
    ).all()
    for sale_id in rng.sample(ids, voids):
        sales_service.void_sale(session, None, sale_id, "typed the wrong edition")
    event_service.close_event(session, None, event.id)


def _ledger_check(session: Session, event: Event) -> str:
    """What ``ledger check`` finds, and whether the table's tally counts its sales."""
    from tracker import ledger
    from tracker.models import Sale

    problems = ledger.check(session)
    kept = session.scalar(
        select(func.count()).where(Sale.event_id == event.id, Sale.voided_at.is_(None))
    )
    counted = session.scalar(
        text("SELECT SUM(sales) FROM sale_tallies WHERE location_id = :t"),
        {"t": event.location_id},
    )
    check = "no differences" if not problems else f"{len(problems)} differences"
    if int(counted) != kept:
        check += f"; the tally counts {counted} sales, not {kept}"
    return check


# -- measured in a process of its own ---------------------------------------------------------


def _worker(url: str, path: str) -> None:
    """One request through the app, its whole body read; prints seconds and memory."""
    from config import Config
    from tracker import create_app

    app = create_app(Config, {"DATABASE_URL": url, "SECRET_KEY": uuid.uuid4().hex * 2})
    client = app.test_client()
    _log_in(client)
    # Logging in hashes a password with argon2 (64 MiB, given back at once): the peak
    # measured is the request's own, from here.
    before = _reset_peak()
    started = time.perf_counter()
    response = client.get(path, buffered=False)
    size = 0
    try:
        assert response.status_code == 200, response.status_code
        for piece in response.response:
            size += len(piece)
    finally:
        response.close()
    seconds = time.perf_counter() - started
    print(
        json.dumps({"seconds": seconds, "peak_mib": _peak(), "before_mib": before, "bytes": size})
    )
    app.extensions["tracker.db"].engine.dispose()


def _status(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def _reset_peak() -> float:
    """Start counting the peak resident set afresh (Linux: clear_refs 5); the resident
    set now, in MiB."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return _status("VmRSS")


def _peak() -> float:
    """The peak resident set since ``_reset_peak``, in MiB (VmHWM)."""
    return _status("VmHWM")


def _measure(url: str, path: str, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-m", "bench.exports", "--worker", url, path],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{path}: {done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mib": max(r["peak_mib"] for r in runs),
        "before_mib": max(r["before_mib"] for r in runs),
        "bytes": runs[0]["bytes"],
    }


# -- baselines ------------------------------------------------------------------------------


def _baselines(url: str, event_id: int, repeat: int) -> dict:
    """The export's own query through the driver, and the same rows written by the csv
    module and by openpyxl alone."""
    from tracker.db import make_engine
    from tracker.queries import events as event_queries

    db = make_engine(url)
    try:
        query = event_queries.event_sales_query(event_id)
        sql = str(query.compile(db, compile_kwargs={"literal_binds": True}))
        raw = db.raw_connection()
        try:

            def select_all() -> list:
                return _select_all(raw, sql)

            figures = {"rows": len(select_all())}
            for name, fn in (
                ("select", select_all),
                ("csv", lambda: _write_csv(select_all())),
                ("xlsx", lambda: _write_xlsx(select_all())),
            ):
                figures[name] = _median(fn, repeat)
            raw.rollback()
        finally:
            raw.close()
    finally:
        db.dispose()
    return figures


def _select_all(raw, sql: str) -> list:
    """Every row of ``sql``, fetched a thousand at a time."""
    cursor = raw.cursor()
    cursor.execute(sql)
    rows = []
    while chunk := cursor.fetchmany(1000):
        rows.extend(chunk)
    cursor.close()
    return rows


def _lines(rows):
    for r in rows:
        yield ["sale", f"#{r[0]} {r[1]}", f"{r[7]} copies, {r[8]} {r[2]}, {r[3]}"]


def _write_csv(rows: list) -> int:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _lines(rows):
        writer.writerow(line)
    return out.tell()


def _write_xlsx(rows: list) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("sales")
    for line in _lines(rows):
        sheet.append(line)
    with tempfile.TemporaryFile() as target:
        book.save(target)


# -- the report ----------------------------------------------------------------------------


def _older_page(url: str, event_id: int, pages: int) -> str:
    """The address of the report's page ``pages`` pages back from the newest."""
    from tracker.db import make_engine
    from tracker.models import Sale

    db = make_engine(url)
    try:
        with Session(db) as session:
            cursor = session.scalar(
                select(Sale.document_id)
                .where(Sale.event_id == event_id)
                .order_by(Sale.sold_at.desc(), Sale.document_id.desc())
                .offset(50 * pages - 1)
                .limit(1)
            )
            return f"/events/{event_id}/report?before={cursor}"
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        _worker(argv[1], argv[2])
        return 0
    args = _parser().parse_args(argv)

    from tracker.db import normalize_url

    server = normalize_url(args.postgresql_url).render_as_string(False)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    results = {}
    for engine in [e.strip() for e in args.engines.split(",")]:
        results[engine] = _measure_engine(engine, args, data, server)

    print()
    print(f"Ratios and goals (under {GOAL_SECONDS:g} s and {GOAL_MIB:g} MiB; medians of this run)")
    for engine, (measured, base) in results.items():
        _print_ratios(engine, measured, base)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    add_data_arguments(parser)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    return parser


def _measure_engine(
    engine: str, args: argparse.Namespace, data: Path, server: str
) -> tuple[dict, dict]:
    """The exports and pages on one engine, and the baselines, printed as they come."""
    print(f"{engine}: the event of {args.sales:,} sales", flush=True)
    url, event_id, how = build(engine, args.sales, data, server, args.rebuild)
    print(f"    [{how}]", flush=True)
    report = f"/events/{event_id}/report"
    measured = {
        "CSV export": _measure(url, f"{report}?format=csv", args.repeat),
        "XLSX export": _measure(url, f"{report}?format=xlsx", args.repeat),
        "report page, newest": _measure(url, report, args.repeat),
        "report page, 500 pages back": _measure(url, _older_page(url, event_id, 500), args.repeat),
    }
    base = _baselines(url, event_id, args.repeat)
    for name, m in measured.items():
        print(
            f"    {name:<28} {m['seconds']:7.2f} s  peak {m['peak_mib']:6.1f} MiB"
            f" (before the request {m['before_mib']:5.1f})  {m['bytes'] / 2**20:7.1f} MiB sent",
            flush=True,
        )
    print(
        f"    baselines, {base['rows']:,} rows: raw SELECT {base['select']:.2f} s;"
        f" csv.writer {base['csv']:.2f} s; openpyxl {base['xlsx']:.2f} s",
        flush=True,
    )
    return measured, base


def _print_ratios(engine: str, measured: dict, base: dict) -> None:
    print(f"  {engine}")
    for name, key in (("CSV export", "csv"), ("XLSX export", "xlsx")):
        m = measured[name]
        met = m["seconds"] < GOAL_SECONDS and m["peak_mib"] < GOAL_MIB
        print(
            f"    {name:<12} / raw SELECT {m['seconds'] / base['select']:6.1f}"
            f"   / {'csv.writer' if key == 'csv' else 'openpyxl'} alone"
            f" {m['seconds'] / base[key]:5.2f}"
            f"   goal: {'met' if met else 'NOT met'}"
        )
    newest = measured["report page, newest"]
    older = measured["report page, 500 pages back"]
    print(
        f"    report page / raw SELECT {newest['seconds'] / base['select']:6.2f};"
        f" 500 pages back / newest {older['seconds'] / newest['seconds']:5.2f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
