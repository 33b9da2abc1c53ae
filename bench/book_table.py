"""The book table through HTTP: sales sent to the JSON endpoint the sale screen's outbox
uses (``POST /places/<id>/sales``), on both engines.

    python -m bench.book_table                      # both engines, a 10,000-move ledger
    python -m bench.book_table --engines sqlite --size 100000

Measured in one run, each a median of interleaved rounds:

a. a one-line sale per request / a do-nothing POST on the same server;  goal >= 0.5
b. 200 sales in one request / 200 requests of one sale (time for the same 200 sales);
   goal >= 5
c. PostgreSQL only: sales per second from two clients at once / from one;  goal >= 1.3

Figures only: this prints them and says which goals are met; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.dashboard import (
    ROOT,
    _Client,
    _clone,
    _csrf_token,
    _drop,
    _free_port,
    _log_in_over_http,
    _serve,
    _wait_for,
    add_data_arguments,
    build,
    stock_store,
)

GOALS = {"a": 0.5, "b": 5.0, "c": 1.3}


class _Phone:
    """One logged-in client that sends keyed sales as the sale screen's outbox does."""

    def __init__(self, port: int, section_id: int, location_id: int, edition_id: int):
        self.client = _Client(port)
        _log_in_over_http(self.client)
        status, page = self.client.request("GET", f"/sections/{section_id}/sell")
        assert status == 200, status
        self.token = _csrf_token(page)
        self.path = f"/places/{location_id}/sales"
        self.edition_id = edition_id

    def _sale(self) -> dict:
        return {
            "key": str(uuid.uuid4()),
            "made_at": datetime.now(UTC).isoformat(),
            "payment": "cash",
            "lines": [{"edition": self.edition_id, "condition": "unsigned", "qty": 1}],
        }

    def send(self, n: int) -> None:
        body = json.dumps({"sales": [self._sale() for _ in range(n)]})
        status, payload = self.client.request_json("POST", self.path, body, self.token)
        assert status == 200, payload[:300]
        results = json.loads(payload)["results"]
        assert [r["status"] for r in results] == ["recorded"] * n, payload[:300]

    def noop(self) -> None:
        status, _ = self.client.request_json("POST", "/bench/noop", "{}", self.token)
        assert status == 200, status


def _per_second(fn, n: int) -> float:
    for _ in range(10):
        fn()
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - started)


def _places(url: str) -> tuple[int, int, int]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tracker.db import make_engine
    from tracker.models import Section
    from tracker.services.events import store_of

    section_id, editions = stock_store(url, 100_000, datetime.now(UTC) - timedelta(days=1))
    db = make_engine(url)
    with Session(db) as session:
        store = store_of(session.scalars(select(Section).where(Section.id == section_id)).one())
        result = section_id, store.id, editions[0]
    db.dispose()
    return result


def measure(engine: str, url: str, server: str, count: int) -> dict:
    target = _clone(engine, url, server)
    section_id, location_id, edition_id = _places(target)
    port = _free_port()
    process = _serve(target, port, ROOT, workers=2)
    try:
        _wait_for(port)
        phone = _Phone(port, section_id, location_id, edition_id)
        rounds = 3
        singles, noops, batches = [], [], []
        for _ in range(rounds):
            singles.append(_per_second(lambda: phone.send(1), count // rounds))
            noops.append(_per_second(phone.noop, count // rounds))
            # Sales per second when 200 go in one request.
            batches.append(200 * _per_second(lambda: phone.send(200), 2))
        figures = {
            "single": statistics.median(singles),
            "noop": statistics.median(noops),
            "batch": statistics.median(batches),
        }
        if engine == "postgresql":
            # Interleaved, as above: one client, then two at once, three times over.
            second = _Phone(port, section_id, location_id, edition_id)
            ones, twos = [], []
            for _ in range(rounds):
                ones.append(_per_second(lambda: phone.send(1), count // rounds))
                twos.append(_two_at_once(phone, second, count // rounds))
            figures["one_client"] = statistics.median(ones)
            figures["two_clients"] = statistics.median(twos)
        return figures
    finally:
        process.terminate()
        process.wait(timeout=30)
        _drop(engine, target, server)


def _two_at_once(first: _Phone, second: _Phone, count: int) -> float:
    """Sales per second from two clients sending at the same time."""
    barrier = threading.Barrier(2)

    def run(phone: _Phone) -> None:
        barrier.wait()
        for _ in range(count):
            phone.send(1)

    threads = [threading.Thread(target=run, args=(p,)) for p in (first, second)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return 2 * count / (time.perf_counter() - started)


def _goal(name: str, value: float) -> str:
    bound = GOALS[name]
    return f"{value:7.3f}  (goal >= {bound}: {'met' if value >= bound else 'NOT met'})"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from tracker.db import normalize_url

    server = normalize_url(args.postgresql_url).render_as_string(False)
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    for engine in [e.strip() for e in args.engines.split(",")]:
        url, how = build(engine, args.size, data, server, False)
        f = measure(engine, url, server, args.sales)
        print(
            f"{engine:10} [{how}] sales per second: one a request {f['single']:.1f}, 200 a "
            f"request {f['batch']:.1f}; do-nothing POST {f['noop']:.1f}"
            + (
                f"; two clients {f['two_clients']:.1f}, one client {f['one_client']:.1f}"
                if "two_clients" in f
                else ""
            ),
            flush=True,
        )
        a, b = f["single"] / f["noop"], f["batch"] / f["single"]
        print(f"    a. one-sale request / do-nothing POST        {_goal('a', a)}")
        print(f"    b. 200 in one request / 200 requests of one  {_goal('b', b)}")
        if "two_clients" in f:
            print(
                f"    c. two clients / one client                  "
                f"{_goal('c', f['two_clients'] / f['one_client'])}"
            )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    add_data_arguments(parser)
    parser.add_argument("--sales", type=int, default=300)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
