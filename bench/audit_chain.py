"""What the audit trail's hash chain costs a sale, on SQLite and on PostgreSQL.

    python -m bench.audit_chain                      # both engines
    python -m bench.audit_chain --engines sqlite --sales 300

Each sale is posted in-process through the tracker's own service (sales_service.sell) and
committed on its own, as the sale screen does: one audit row, so one link, per sale.
Measured in the same run, in alternating rounds, with the chain as the app writes it
and with its commit hook taken out (the baseline):

a. one writer: milliseconds per sale, median of the rounds; with / without;
b. two writers at once (threads, each its own session): sales per second over both;
   with / without. On PostgreSQL the links are appended one transaction at a time
   (an advisory lock held from the link's write to the commit); this shows what that
   serialisation costs when sales overlap;
c. the time spent in the chain's commit hook itself, per commit (lock, the head read,
   the hash, the link written), which the machine's noise does not blur as much; with
   two writers it includes the wait for the other's commit.

PostgreSQL is reached at $BENCH_POSTGRESQL_URL (default: the local server); the script
makes a database of its own and drops it. Figures only: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tracker import audit, migrate
from tracker.db import make_engine
from tracker.domain.places import LocationKind
from tracker.ledger import MoveLine
from tracker.services import catalogue, places
from tracker.services import sales as sales_service
from tracker.services.sales import SaleItem
from tracker.services.stock import post_document

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def _database(engine: str, server: str):
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'chain.sqlite'}"
        return
    name = f"bench_chain_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _setup(session: Session, copies: int) -> tuple[int, list[int]]:
    """An edition, two sections' stores stocked: (edition id, store ids)."""
    title = catalogue.create_title(session, name="In Defence of Lenin", authors=["Alan Woods"])
    edition = catalogue.create_edition(
        session,
        title=title,
        isbn="9781913026868",
        language="en",
        format="paperback",
        list_price="25.00",
        currency="GBP",
    )
    places.ensure_publisher_locations(session)
    stores = []
    for name, country in (("Britain", "GB"), ("Sweden", "SE")):
        section = places.create_section(session, name=name, country_code=country, currency="GBP")
        session.flush()
        by_kind = {loc.kind: loc for loc in section.locations}
        store = by_kind[LocationKind.SECTION_STORE]
        transit = by_kind[LocationKind.IN_TRANSIT]
        warehouse = places.publisher_location(session, LocationKind.WAREHOUSE)
        printer = places.publisher_location(session, LocationKind.PRINTER)
        for kind, source, target in (
            ("print_run", printer, warehouse),
            ("dispatch", warehouse, transit),
            ("receipt", transit, store),
        ):
            post_document(session, kind, [MoveLine(kind, edition.id, copies, source.id, target.id)])
        stores.append(store.id)
    session.commit()
    return edition.id, stores


def _sell(session: Session, edition: int, store: int) -> None:
    sales_service.sell(
        session, None, location_id=store, items=[SaleItem(edition, 1)], payment_method="cash"
    )
    session.commit()


@contextmanager
def _chain(on: bool, spent: list):
    """The chain's hook as the app has it, timed into ``spent`` (seconds, calls); or
    none at all (the baseline)."""

    def timed(session: Session) -> None:
        started = time.perf_counter()
        audit._chain(session)
        spent[0] += time.perf_counter() - started
        spent[1] += 1

    event.remove(Session, "before_commit", audit._chain)
    if on:
        event.listen(Session, "before_commit", timed)
    try:
        yield
    finally:
        if on:
            event.remove(Session, "before_commit", timed)
        event.listen(Session, "before_commit", audit._chain)


def measure(engine_name: str, server: str, sales: int, rounds: int) -> dict[str, float]:
    with _database(engine_name, server) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                edition, stores = _setup(session, sales * rounds * 8)
            per_round = max(1, sales // rounds)
            hook = {"single": [0.0, 0], "pair": [0.0, 0]}
            single: dict[bool, list[float]] = {True: [], False: []}
            pair: dict[bool, list[float]] = {True: [], False: []}
            with Session(engine) as session:  # warm up
                for _ in range(20):
                    _sell(session, edition, stores[0])
            for number in range(rounds):
                # Each mode goes first every other round: whatever the order costs
                # (a checkpoint, a cache) falls on both alike.
                order = (True, False) if number % 2 == 0 else (False, True)
                for on in order:
                    with _chain(on, hook["single"]), Session(engine) as session:
                        times = []
                        for _ in range(per_round):
                            started = time.perf_counter()
                            _sell(session, edition, stores[0])
                            times.append(time.perf_counter() - started)
                        single[on].append(statistics.median(times))
                for on in order:
                    with _chain(on, hook["pair"]):
                        pair[on].append(_two_writers(engine, edition, stores, per_round))
        finally:
            engine.dispose()
    return {
        "single_on": statistics.median(single[True]) * 1000,
        "single_off": statistics.median(single[False]) * 1000,
        "pair_on": statistics.median(pair[True]),
        "pair_off": statistics.median(pair[False]),
        "hook_single": hook["single"][0] / max(1, hook["single"][1]) * 1000,
        "hook_pair": hook["pair"][0] / max(1, hook["pair"][1]) * 1000,
    }


def _two_writers(engine, edition: int, stores: list[int], count: int) -> float:
    """Sales per second of two writers at once, each selling at its own store."""
    start = threading.Barrier(3)
    failures: list[BaseException] = []

    def writer(store: int) -> None:
        try:
            with Session(engine) as session:
                start.wait()
                for _ in range(count):
                    _sell(session, edition, store)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise failures[0]
    return 2 * count / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--sales", type=int, default=600, help="sales per mode, in all")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)
    server = os.environ.get("BENCH_POSTGRESQL_URL", DEFAULT_PG)
    print(f"{args.sales} sales per mode in {args.rounds} alternating rounds", flush=True)
    for engine in args.engines.split(","):
        figures = measure(engine, server, args.sales, args.rounds)
        print(f"\n{engine}")
        print(
            f"  a. one writer, per sale: {figures['single_on']:.2f} ms with the chain, "
            f"{figures['single_off']:.2f} ms without "
            f"({figures['single_on'] / figures['single_off']:.3f})"
        )
        print(
            f"  b. two writers, sales per second: {figures['pair_on']:.0f} with the chain, "
            f"{figures['pair_off']:.0f} without ({figures['pair_on'] / figures['pair_off']:.3f})"
        )
        print(
            f"  c. the chain's commit hook alone, a commit: {figures['hook_single']:.3f} ms "
            f"(one writer), {figures['hook_pair']:.3f} ms (two, with the wait for the lock)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
