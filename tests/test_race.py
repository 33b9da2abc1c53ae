"""Real parallel connections: nobody sells the same copy twice, and nobody deadlocks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from tests.factories import World
from tracker import ledger
from tracker.db import make_engine
from tracker.errors import InsufficientStock
from tracker.ledger import MoveLine
from tracker.models import Move
from tracker.services.stock import post_document

WORKERS = 8


def _setup(database, copies: int) -> tuple:
    engine = make_engine(database.fresh(), sqlite_busy_timeout=60)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        world = World.build(session).stocked(copies)
        world.post("transfer", copies // 2, "GB-STORE", "GB-EV")
        ids = {code: world.loc(code).id for code in ("GB-STORE", "GB-EV", "GB-CUSTOMERS")}
        edition_id = world.edition.id
        session.commit()
    return engine, factory, ids, edition_id


def _run_workers(job, per_worker: int) -> list[str]:
    barrier = threading.Barrier(WORKERS)

    def worker(n: int) -> list[str]:
        barrier.wait(timeout=30)
        return [job(n, i) for i in range(per_worker)]

    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [pool.submit(worker, n) for n in range(WORKERS)]
        return [outcome for future in futures for outcome in future.result(timeout=120)]


def test_eight_workers_selling_eighty_copies_from_fifty(database):
    engine, factory, ids, edition_id = _setup(database, 100)  # 50 on the event table
    sale = MoveLine("sale", edition_id, 1, ids["GB-EV"], ids["GB-CUSTOMERS"])

    def sell(_worker: int, _i: int) -> str:
        with factory() as session:
            try:
                post_document(session, "sale", [sale])
                session.commit()
                return "sold"
            except InsufficientStock as error:
                session.rollback()
                assert "0 copies there, 1 asked" in str(error)
                return "short"

    outcomes = _run_workers(sell, per_worker=10)
    try:
        assert outcomes.count("sold") == 50
        assert outcomes.count("short") == 30
        with factory() as session:
            assert ledger.balance(session, ids["GB-EV"], edition_id, "unsigned") == 0
            assert ledger.balance(session, ids["GB-CUSTOMERS"], edition_id, "unsigned") == 50
            sales = session.scalar(
                select(func.count()).select_from(Move).where(Move.kind == "sale")
            )
            assert sales == 50
            assert ledger.check(session) == []
    finally:
        engine.dispose()


def test_opposite_transfers_at_once_do_not_deadlock(database):
    """Half the workers move copies store -> table, half table -> store, in one posting
    each that touches both balances in opposite directions: locks in a fixed order."""
    engine, factory, ids, edition_id = _setup(database, 1000)  # 500 in the store, 500 on the table

    def shuffle(worker: int, _i: int) -> str:
        src, dst = ("GB-STORE", "GB-EV") if worker % 2 else ("GB-EV", "GB-STORE")
        line = MoveLine("transfer", edition_id, 3, ids[src], ids[dst])
        with factory() as session:
            post_document(session, "transfer", [line])
            session.commit()
        return "moved"

    outcomes = _run_workers(shuffle, per_worker=25)
    try:
        assert outcomes == ["moved"] * WORKERS * 25
        with factory() as session:
            store = ledger.balance(session, ids["GB-STORE"], edition_id, "unsigned")
            table = ledger.balance(session, ids["GB-EV"], edition_id, "unsigned")
            assert (store, table) == (500, 500)
            assert ledger.check(session) == []
    finally:
        engine.dispose()
