"""What dating a sale costs: a sale dated now and a sale dated 30 days back, posted
through HTTP on the ledger of a million moves, against the do-nothing POST; and,
with --baseline-rev, against a sale on the code as it was before sales were checked
against the past (the same ledger, downgraded to that code's schema, served side by
side). Also the ledger check's time on that ledger, whole and its replay of the past.

    python -m bench.dated_sales                          # both engines, 1M moves
    python -m bench.dated_sales --engines sqlite --size 100000
    python -m bench.dated_sales --baseline-rev 965f485    # "today's sale" as it was

Every figure is a median of interleaved rounds in this one run, so the machine's noise
falls on all of them alike. Goals: both dated sales within 10% of the baseline sale
(ratio >= 0.9), when a baseline is given; else of the sale dated now.

Figures only: this prints them and says which goals are met; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.dashboard import (
    ROOT,
    _Client,
    _clone,
    _csrf_token,
    _drop,
    _free_port,
    _log_in_over_http,
    _rate,
    _serve,
    _wait_for,
    add_data_arguments,
    build,
    stock_store,
)

GOAL = 0.9
BACK = timedelta(days=30)


class _Till:
    """One server, logged in, with its sale screen's token: sales and do-nothing POSTs."""

    def __init__(self, port: int, section_id: int):
        self.client = _Client(port)
        _log_in_over_http(self.client)
        self.path = f"/sections/{section_id}/sell"
        status, page = self.client.request("GET", self.path)
        assert status == 200, status
        self.token = _csrf_token(page)
        self.minutes = 0

    def _body(self, edition_id: int, sold_at: datetime | None) -> dict:
        body = {
            "csrf_token": self.token,
            "submission_key": uuid.uuid4().hex,
            "item": f"{edition_id}:unsigned",
            "qty": "1",
            "payment": "cash",
        }
        if sold_at is not None:
            # A minute later each time: the paper tally's sales in the order written.
            self.minutes += 1
            body["sold_at"] = (sold_at + timedelta(minutes=self.minutes)).strftime("%Y-%m-%dT%H:%M")
        return body

    def sell(self, edition_id: int, sold_at: datetime | None = None) -> Callable[[], None]:
        def call() -> None:
            status, payload = self.client.request(
                "POST", self.path, self._body(edition_id, sold_at), "application/json"
            )
            assert status == 200 and '"ok":true' in payload.replace(" ", ""), payload[:300]

        return call

    def noop(self) -> None:
        status, _ = self.client.request(
            "POST", "/bench/noop", self._body(0, None), "application/json"
        )
        assert status == 200, status


def _baseline_checkout(rev: str) -> Path:
    """The code at ``rev``, in a temporary worktree (removed at exit by the caller)."""
    where = Path(tempfile.mkdtemp(prefix="tracker-baseline-"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(where), rev],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return where


def _schema_head(code: Path) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(code / "migrations"))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


def measure(engine: str, url: str, server: str, count: int, baseline: Path | None) -> dict:
    from tracker import migrate

    now = datetime.now(UTC)
    servers: list[tuple[subprocess.Popen, str]] = []
    try:
        target = _clone(engine, url, server)
        section_id, editions = stock_store(target, count * 2 + 100, now - BACK - timedelta(days=10))
        port = _free_port()
        servers.append((_serve(target, port, ROOT), target))
        old_port = None
        if baseline is not None:
            old = _clone(engine, url, server)
            stock_store(old, count * 2 + 100, now - BACK - timedelta(days=10))
            migrate.downgrade(old, _schema_head(baseline), force=True)
            old_port = _free_port()
            servers.append((_serve(old, old_port, baseline), old))
        _wait_for(port)
        till = _Till(port, section_id)
        jobs = {
            "noop": till.noop,
            "now": till.sell(editions[0]),
            "back": till.sell(editions[-1], now - BACK),
        }
        if old_port is not None:
            _wait_for(old_port)
            old_till = _Till(old_port, section_id)
            jobs["baseline"] = old_till.sell(editions[0])
            jobs["baseline_noop"] = old_till.noop
        rounds = 5
        rates: dict[str, list[float]] = {name: [] for name in jobs}
        for _ in range(rounds):
            for name, job in jobs.items():
                rates[name].append(_rate(job, count // rounds))
        return {name: statistics.median(values) for name, values in rates.items()}
    finally:
        for process, database in servers:
            process.terminate()
            process.wait(timeout=30)
            _drop(engine, database, server)


def time_check(url: str) -> tuple[float, float, int]:
    """Seconds for ``ledger.check`` on the whole ledger, and for its replay of the past
    alone; and the moves."""
    from sqlalchemy import func

    from tracker import ledger
    from tracker.db import make_engine
    from tracker.ledger.check import _first_short_moment
    from tracker.models import Move

    db = make_engine(url)
    try:
        with Session(db) as session:
            moves = session.scalar(select(func.count()).select_from(Move)) or 0
            started = time.perf_counter()
            problems = ledger.check(session)
            whole = time.perf_counter() - started
            assert problems == [], problems[:3]
            started = time.perf_counter()
            _first_short_moment(session)
            replay = time.perf_counter() - started
    finally:
        db.dispose()
    return whole, replay, moves


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from tracker.db import normalize_url

    server = normalize_url(args.postgresql_url).render_as_string(False)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    baseline = _baseline_checkout(args.baseline_rev) if args.baseline_rev else None
    try:
        for engine in [e.strip() for e in args.engines.split(",")]:
            url, how = build(engine, args.size, data, server, False)
            whole, replay, moves = time_check(url)
            print(
                f"{engine:10} {moves:,} moves [{how}]: ledger check {whole:.1f} s, "
                f"of which the replay of the past {replay:.1f} s",
                flush=True,
            )
            r = measure(engine, url, server, args.sales, baseline)
            print(
                f"{engine:10} per second: sale dated now {r['now']:.1f}, dated "
                f"{BACK.days} days back {r['back']:.1f}, do-nothing POST {r['noop']:.1f}"
                + (
                    f"; before ({args.baseline_rev}): sale {r['baseline']:.1f}, "
                    f"do-nothing POST {r['baseline_noop']:.1f}"
                    if baseline
                    else ""
                ),
                flush=True,
            )
            reference = r["baseline"] if baseline else r["now"]
            against = f"the sale before ({args.baseline_rev})" if baseline else "the sale dated now"
            for name, label in (("now", "dated now"), ("back", f"dated {BACK.days} days back")):
                ratio = r[name] / reference
                met = "met" if ratio >= GOAL else "NOT met"
                print(f"    sale {label} / {against}: {ratio:.3f}  (goal >= {GOAL}: {met})")
                print(f"    sale {label} / do-nothing POST: {r[name] / r['noop']:.3f}")
            if baseline:
                print(
                    f"    before: sale / do-nothing POST: {r['baseline'] / r['baseline_noop']:.3f}"
                )
    finally:
        if baseline is not None:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False
            )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    add_data_arguments(parser)
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument("--baseline-rev", default=None, help="a git revision to compare with")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
