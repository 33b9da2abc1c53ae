"""How fast the coordinators' dashboard is at 10 thousand, 100 thousand and a million
moves, and how fast sales go in through HTTP, on SQLite and on PostgreSQL.

    python -m bench.dashboard                       # both engines, 10k 100k 1M
    python -m bench.dashboard --sizes 10000,100000 --engines sqlite

PostgreSQL is reached at $BENCH_POSTGRESQL_URL (default
postgresql://postgres@127.0.0.1:5432/postgres); the script makes its own databases
(bench_ledger_<size>) and keeps them, like the SQLite files under --data, so that a
second run measures without building again (--rebuild builds anew). Ledgers are made by
bench.generate, through the tracker's own posting paths.

Measured, side by side, each a median of repeated runs in this same process:

a. the dashboard's latency (a full page, through the Flask app, as a coordinator sees
   it: table, totals, alerts and the weekly-sales chart from the weekly roll-up) at the
   largest size / at the smallest;  goal <= 1.5
b. the dashboard / a raw driver SELECT of the balance table;  goal <= 10
c. the dashboard at the largest size / a raw GROUP BY of the whole ledger;  goal <= 0.1
d. sales posted through HTTP (gunicorn, one client, keep-alive) per second / requests to
   a do-nothing endpoint on the same server, same client;  goal >= 0.33
e. the weekly chart reads the weekly roll-up kept at posting (it is in a and c); its
   query alone is timed too.

Figures only: this prints them and says which goals are met; it asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password, long enough"  # noqa: S105
EMAIL = "bench@example.org"
GOALS = {"a": ("<=", 1.5), "b": ("<=", 10.0), "c": ("<=", 0.1), "d": (">=", 0.33)}


@dataclass
class Figures:
    engine: str
    size: int
    moves: int = 0
    built: str = ""
    dashboard: float = 0.0
    dashboard_past: float = 0.0
    # Nothing changed since the last render: the page kept from it.
    dashboard_warm: float = 0.0
    weekly_query: float = 0.0
    balances: float = 0.0
    group_by: float = 0.0
    queries: int = 0
    extra: dict = field(default_factory=dict)


class _NoPages:
    cache: dict = {}


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


# -- databases ---------------------------------------------------------------------------


def _database_url(engine: str, size: int, data: Path, server: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{data / f'ledger-{size}.sqlite'}"
    return make_url(server).set(database=f"bench_ledger_{size}").render_as_string(False)


def _admin(server: str):
    from tracker.db import make_engine

    return make_engine(server).connect().execution_options(isolation_level="AUTOCOMMIT")


def _exists(engine: str, url: str, server: str) -> bool:
    if engine == "sqlite":
        return Path(make_url(url).database).exists()
    with _admin(server) as admin:
        name = make_url(url).database
        return bool(
            admin.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
        )


def _drop(engine: str, url: str, server: str) -> None:
    if engine == "sqlite":
        Path(make_url(url).database).unlink(missing_ok=True)
        return
    with _admin(server) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _create(engine: str, url: str, server: str) -> None:
    if engine == "postgresql":
        with _admin(server) as admin:
            admin.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))


def build(engine: str, size: int, data: Path, server: str, rebuild: bool) -> tuple[str, str]:
    """The URL of a ledger of ``size`` moves (made, or kept from an earlier run)."""
    from bench.generate import generate
    from tracker import migrate
    from tracker.db import make_engine
    from tracker.domain.accounts import Role
    from tracker.models import Move, User
    from tracker.passwords import make_hasher
    from tracker.services import accounts

    url = _database_url(engine, size, data, server)
    if _exists(engine, url, server) and not rebuild:
        db = make_engine(url)
        try:
            with Session(db) as session:
                moves = session.scalar(select(func.count()).select_from(Move)) or 0
                ready = session.scalar(select(User.id).where(User.email == EMAIL))
        except Exception:
            moves, ready = 0, None
        finally:
            db.dispose()
        if ready and moves >= size * 0.8:
            migrate.upgrade(url)  # revisions added since it was built
            _analyze(url)
            return url, "kept from an earlier run"
    _drop(engine, url, server)
    _create(engine, url, server)
    migrate.upgrade(url)
    db = make_engine(url)
    started = time.perf_counter()
    try:
        with Session(db) as session:
            summary = generate(
                session,
                moves=size,
                progress=lambda day: print(f"    {engine} {size:,}: {day}", end="\r", flush=True),
            )
            accounts.create_user(
                session,
                make_hasher(1, 1024, 1),
                email=EMAIL,
                role=Role.ADMIN,
                password=PASSWORD,
            )
            session.commit()
    finally:
        db.dispose()
    took = time.perf_counter() - started
    _analyze(url)
    print(" " * 60, end="\r")
    return url, f"built in {took:.0f} s ({summary.moves / took:,.0f} moves/s)"


def _analyze(url: str) -> None:
    """Fresh planner statistics (and, on PostgreSQL, a vacuum), as autovacuum or
    ``PRAGMA optimize`` keep them on a database in use; a bulk load leaves none."""
    from tracker.db import make_engine

    db = make_engine(url)
    try:
        with db.connect() as connection:
            if db.dialect.name == "postgresql":
                # VACUUM also marks pages all-visible, as autovacuum would have by now.
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE")
                )
            else:
                connection.execute(text("ANALYZE"))
                connection.commit()
    finally:
        db.dispose()


# -- the dashboard -----------------------------------------------------------------------


def _log_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )
    response = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def measure_dashboard(engine: str, size: int, url: str, repeat: int) -> Figures:
    from config import Config
    from tracker import create_app
    from tracker.models import Move, WeeklyFlow
    from tracker.queries import dashboard

    figures = Figures(engine, size)
    app = create_app(Config, {"DATABASE_URL": url, "SECRET_KEY": uuid.uuid4().hex * 2})
    db = app.extensions["tracker.db"].engine
    client = app.test_client()
    _log_in(client)
    with Session(db) as session:
        figures.moves = session.scalar(select(func.count()).select_from(Move)) or 0
        latest = session.scalar(select(func.max(WeeklyFlow.week)))
    period = dashboard.default_period(latest, date.today())
    _time_pages(figures, app, client, period, repeat)
    _time_raw_queries(figures, db, engine, period, repeat)
    return figures


def _time_pages(figures: Figures, app, client, period, repeat: int) -> None:
    """The page computed afresh, for the default period and a past one; the page kept
    from the last render; and the count of SQL statements of one render."""
    past_end = period.last - timedelta(weeks=20)
    past = f"/dashboard?start={past_end - timedelta(weeks=12)}&end={past_end}"

    def page(path: str = "/dashboard", cold: bool = True):
        if cold:  # computed afresh, as after any change to the data
            app.extensions.get("tracker.dashboard_pages", _NoPages).cache.clear()
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    for _ in range(3):
        page()
        page(past)
    figures.dashboard = _median(page, repeat)
    figures.dashboard_past = _median(lambda: page(past), repeat)
    page()
    figures.dashboard_warm = _median(lambda: page(cold=False), repeat)

    # The count of SQL statements of one render.
    from sqlalchemy import event

    db = app.extensions["tracker.db"].engine
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(db, "before_cursor_execute", listener)
    page()
    event.remove(db, "before_cursor_execute", listener)
    figures.queries = len(statements)


def _time_raw_queries(figures: Figures, db, engine: str, period, repeat: int) -> None:
    """The driver's own SELECT of the balances, GROUP BY of the ledger and weekly query;
    the engine is disposed of afterwards."""
    raw = db.raw_connection()
    try:
        cursor = raw.cursor()

        def run(sql: str, params=()):
            cursor.execute(sql, params)
            cursor.fetchall()

        balances = "SELECT location_id, edition_id, condition, qty FROM balances"
        group_by = (
            "SELECT to_location_id, edition_id, to_condition, SUM(qty) FROM moves "
            "GROUP BY to_location_id, edition_id, to_condition"
        )
        mark = "?" if engine == "sqlite" else "%s"
        weekly = (
            f"SELECT week, location_id, SUM(qty) FROM weekly_flows WHERE week BETWEEN {mark} AND "
            f"{mark} AND metric IN ('sold_unsigned', 'sold_signed') GROUP BY week, location_id"
        )
        for _ in range(3):
            run(balances)
        figures.balances = _median(lambda: run(balances), repeat)
        run(group_by)
        figures.group_by = _median(lambda: run(group_by), max(3, repeat // 4))
        figures.weekly_query = _median(lambda: run(weekly, (period.first, period.last)), repeat)
        raw.rollback()
    finally:
        raw.close()
        db.dispose()


# -- sales through HTTP --------------------------------------------------------------------


class _Client:
    """One keep-alive HTTP connection with a cookie jar (every cookie sent everywhere)."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, accept: str = "text/html"):
        headers = {"Accept": accept, "Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        # The login sets two cookies (the session and the device's), in two headers.
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return response.status, payload.decode()

    def request_json(self, method: str, path: str, body: str, token: str):
        """A JSON request, as the sale screen's script sends it (the CSRF token in a
        header)."""
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-CSRFToken": token,
            "Host": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read().decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clone(engine: str, url: str, server: str) -> str:
    """A copy of a ledger to post sales into (the measured ledgers stay as built)."""
    if engine == "sqlite":
        source = Path(make_url(url).database)
        target = source.with_name(f"sales-{uuid.uuid4().hex[:8]}-{source.name}")
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    name = f"bench_sales_{uuid.uuid4().hex[:8]}"
    with _admin(server) as admin:
        admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"'))
    return make_url(server).set(database=name).render_as_string(False)


def measure_sales(engine: str, url: str, server: str, count: int) -> dict:
    target = _clone(engine, url, server)
    section_id, (edition_id, *_others) = stock_store(target, count * 3 + 100)
    port = _free_port()
    server_process = _serve(target, port)
    try:
        _wait_for(port)
        client = _Client(port)
        _log_in_over_http(client)
        return _sale_rates(client, section_id, edition_id, count)
    finally:
        server_process.terminate()
        server_process.wait(timeout=30)
        _drop(engine, target, server)


def stock_store(url: str, copies: int, at: datetime | None = None) -> tuple[int, list[int]]:
    """Copies of every edition printed straight into the first section's store, dated
    ``at`` (now if not given; earlier than any sale a benchmark dates): the section and
    the editions."""
    from tracker.db import make_engine
    from tracker.domain.places import LocationKind
    from tracker.ledger import MoveLine
    from tracker.models import Edition, Section
    from tracker.services import places
    from tracker.services.events import store_of
    from tracker.services.stock import post_document

    db = make_engine(url)
    with Session(db) as session:
        section = session.scalars(select(Section).order_by(Section.id)).first()
        editions = session.scalars(select(Edition).order_by(Edition.id)).all()
        store = store_of(section)
        printer = places.publisher_location(session, LocationKind.PRINTER)
        post_document(
            session,
            "print_run",
            [MoveLine("print_run", e.id, copies, printer.id, store.id) for e in editions],
            occurred_at=at,
        )
        session.commit()
        result = section.id, [e.id for e in editions]
    db.dispose()
    return result


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the benchmarks' ledgers are: the PostgreSQL server and the SQLite folder."""
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get(
            "BENCH_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--data", default=str(ROOT / "bench" / "data"))


def _serve(url: str, port: int, code: Path = ROOT, workers: int = 1) -> subprocess.Popen:
    """The tracker of the checkout at ``code`` (this one, unless another is compared)
    under gunicorn (``workers`` processes of two threads each) on ``port``."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "TRACKER_CONFIG": "default",
        "PYTHONPATH": str(code),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--worker-class",
            "gthread",
            "--workers",
            str(workers),
            "--threads",
            "2",
            "--keep-alive",
            "30",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.server:app",
        ],
        cwd=code,
        env=env,
    )


def _wait_for(port: int) -> None:
    """Until the server takes connections (ten seconds at most)."""
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _log_in_over_http(client: _Client) -> None:
    status, page = client.request("GET", "/login")
    status, _ = client.request(
        "POST", "/login", {"email": EMAIL, "password": PASSWORD, "csrf_token": _csrf_token(page)}
    )
    assert status == 302, status


def _sale_rates(client: _Client, section_id: int, edition_id: int, count: int) -> dict:
    """Sales, do-nothing POSTs and bare GETs per second, each a median of three rounds."""
    path = f"/sections/{section_id}/sell"
    status, page = client.request("GET", path)
    assert status == 200, status
    token = _csrf_token(page)

    def sale_body() -> dict:
        return {
            "csrf_token": token,
            "submission_key": uuid.uuid4().hex,
            "item": f"{edition_id}:unsigned",
            "qty": "1",
            "payment": "cash",
        }

    def sell():
        status, payload = client.request("POST", path, sale_body(), "application/json")
        assert status == 200 and '"ok":true' in payload.replace(" ", ""), payload[:300]

    def noop():
        status, _ = client.request("POST", "/bench/noop", sale_body(), "application/json")
        assert status == 200, status

    def bare():
        status, _ = client.request("GET", "/bench/bare")
        assert status == 200, status

    # Interleaved rounds: the machine's noise falls on both alike.
    rounds = 3
    sales, noops, bares = [], [], []
    for _ in range(rounds):
        sales.append(_rate(sell, count // rounds))
        noops.append(_rate(noop, count // rounds))
        bares.append(_rate(bare, count // rounds))
    return {
        "sales_per_s": statistics.median(sales),
        "noop_per_s": statistics.median(noops),
        "bare_per_s": statistics.median(bares),
    }


def _rate(fn, n: int) -> float:
    """Calls of ``fn`` per second over ``n`` calls, after twenty to warm up."""
    for _ in range(20):
        fn()
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - started)


# -- the report ------------------------------------------------------------------------------


def _goal(name: str, value: float) -> str:
    op, bound = GOALS[name]
    met = value <= bound if op == "<=" else value >= bound
    return f"{value:7.3f}  (goal {op} {bound}: {'met' if met else 'NOT met'})"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    from tracker.db import normalize_url

    sizes = sorted(int(s) for s in args.sizes.split(","))
    engines = [e.strip() for e in args.engines.split(",")]
    server = normalize_url(args.postgresql_url).render_as_string(False)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)

    results: dict[str, list[Figures]] = {}
    sales: dict[str, dict] = {}
    for engine in engines:
        results[engine] = [
            _dashboard_at(engine, size, data, server, args.rebuild, args.repeat) for size in sizes
        ]
        sales[engine] = _sales_through_http(engine, sizes[0], data, server, args.sales)

    print()
    print("Ratios (medians measured in this run)")
    for engine in engines:
        _print_ratios(engine, results[engine], sales[engine])
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    add_data_arguments(parser)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--sales", type=int, default=600)
    parser.add_argument("--rebuild", action="store_true")
    return parser


def _dashboard_at(
    engine: str, size: int, data: Path, server: str, rebuild: bool, repeat: int
) -> Figures:
    """The dashboard's figures on a ledger of ``size`` moves, printed as they come."""
    url, how = build(engine, size, data, server, rebuild)
    figures = measure_dashboard(engine, size, url, repeat)
    figures.built = how
    print(
        f"{engine:10} {figures.moves:>10,} moves: dashboard {_ms(figures.dashboard)}"
        f" computed afresh ({figures.queries} queries),"
        f" {_ms(figures.dashboard_warm)} unchanged since;"
        f" past period {_ms(figures.dashboard_past)};"
        f" balances SELECT {_ms(figures.balances)};"
        f" GROUP BY ledger {_ms(figures.group_by)};"
        f" weekly query {_ms(figures.weekly_query)}  [{how}]",
        flush=True,
    )
    return figures


def _sales_through_http(engine: str, size: int, data: Path, server: str, count: int) -> dict:
    """Sales per second on a copy of the ledger of ``size`` moves, printed."""
    s = measure_sales(engine, _database_url(engine, size, data, server), server, count)
    print(
        f"{engine:10} sales through HTTP {s['sales_per_s']:7.1f}/s; do-nothing POST "
        f"{s['noop_per_s']:7.1f}/s; bare GET {s['bare_per_s']:7.1f}/s",
        flush=True,
    )
    return s


def _line(label: str, value: str) -> None:
    print(f"    {label:<58}{value}")


def _print_ratios(engine: str, results: list[Figures], s: dict) -> None:
    small, large = results[0], results[-1]
    print(
        f"  {engine}  (fresh: the page computed afresh, as after any change; kept: "
        "nothing changed since the last render)"
    )
    _line(
        f"a. dashboard at {large.moves:,} / at {small.moves:,} moves, fresh",
        _goal("a", large.dashboard / small.dashboard),
    )
    _line("   the same, kept", _goal("a", large.dashboard_warm / small.dashboard_warm))
    _line(
        "   the same, fresh, a past period (positions rolled back)",
        _goal("a", large.dashboard_past / small.dashboard_past),
    )
    for f in results:
        _line(
            f"b. dashboard / balances SELECT at {f.moves:,}, fresh",
            _goal("b", f.dashboard / f.balances),
        )
        _line("   the same, kept", _goal("b", f.dashboard_warm / f.balances))
    _line(
        f"c. dashboard / GROUP BY of the ledger at {large.moves:,}, fresh",
        _goal("c", large.dashboard / large.group_by),
    )
    _line("   the same, kept", _goal("c", large.dashboard_warm / large.group_by))
    _line(
        "d. sales / do-nothing POST, through HTTP",
        _goal("d", s["sales_per_s"] / s["noop_per_s"]),
    )
    _line("   sales / bare GET", f"{s['sales_per_s'] / s['bare_per_s']:7.3f}")
    _line(
        f"e. weekly-sales query at {large.moves:,} / at {small.moves:,}",
        f"{large.weekly_query / small.weekly_query:7.3f}",
    )


if __name__ == "__main__":
    raise SystemExit(main())
