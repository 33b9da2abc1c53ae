"""Real parallel connections: nobody sells the same copy twice, and nobody deadlocks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from tests.factories import World
from tracker import ledger
from tracker.db import make_engine
from tracker.domain.errors import InsufficientStock
from tracker.ledger import MoveLine
from tracker.models import Document, Location, Move, Section, Shipment, ShipmentLine, User
from tracker.services import receipts as receipts_service
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


def _committed_world(database, copies: int):
    from tests.factories import make_user
    from tracker.passwords import make_hasher

    engine = make_engine(database.fresh(), sqlite_busy_timeout=60)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        world = World.build(session)
        world.printed(copies)
        staff = make_user(session, make_hasher(1, 1024, 1), "distributor")
        gb = session.scalar(select(Section).where(Section.name == "Britain"))
        session.commit()
        return engine, factory, world.edition.id, gb.id, staff.id


def _together(*jobs) -> list:
    """Run the jobs at the same moment on threads of their own; their outcomes."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, job) for job in jobs]]


def test_two_dispatches_of_one_shipment_make_one(database):
    from tracker.services import shipments

    engine, factory, edition_id, gb_id, staff_id = _committed_world(database, 100)
    with factory() as session:
        staff = session.get(User, staff_id)
        shipment = shipments.create(
            session,
            staff,
            direction="outbound",
            section_id=gb_id,
            lines=[shipments.LineInput(edition_id, 30, "1.00")],
        )
        session.commit()
        shipment_id = shipment.id

    def dispatch() -> str:
        with factory() as session:
            try:
                shipments.dispatch(session, session.get(User, staff_id), shipment_id)
                session.commit()
                return "dispatched"
            except shipments.WrongState as error:
                session.rollback()
                assert "is dispatched: only a shipment that is draft can be dispatched" in str(
                    error
                )
                return "refused"

    try:
        assert sorted(_together(dispatch, dispatch)) == ["dispatched", "refused"]
        with factory() as session:
            moves = session.scalar(
                select(func.count()).select_from(Move).where(Move.kind == "dispatch")
            )
            assert moves == 1
            assert ledger.check(session) == []
    finally:
        engine.dispose()


def test_two_shipments_cannot_overdraw_the_warehouse(database):
    from tracker.domain.errors import InsufficientStock
    from tracker.services import shipments

    engine, factory, edition_id, gb_id, staff_id = _committed_world(database, 50)
    with factory() as session:
        staff = session.get(User, staff_id)
        ids = [
            shipments.create(
                session,
                staff,
                direction="outbound",
                section_id=gb_id,
                lines=[shipments.LineInput(edition_id, 30, "1.00")],
            ).id
            for _ in range(2)
        ]
        session.commit()

    def dispatch(shipment_id: int):
        def job() -> str:
            with factory() as session:
                try:
                    shipments.dispatch(session, session.get(User, staff_id), shipment_id)
                    session.commit()
                    return "dispatched"
                except InsufficientStock as error:
                    session.rollback()
                    assert "20 copies there, 30 asked" in str(error)
                    return "short"

        return job

    try:
        assert sorted(_together(dispatch(ids[0]), dispatch(ids[1]))) == ["dispatched", "short"]
        with factory() as session:
            warehouse = session.scalar(select(Location).where(Location.code == "WH"))
            assert ledger.balance(session, warehouse.id, edition_id, "unsigned") == 20
            statuses = sorted(session.get(Shipment, i).status for i in ids)
            assert statuses == ["dispatched", "draft"]
    finally:
        engine.dispose()


def test_two_receipts_of_one_shipment_count_each_copy_once(database):
    from tracker.domain.errors import DomainError
    from tracker.services import shipments

    engine, factory, edition_id, gb_id, staff_id = _committed_world(database, 50)
    with factory() as session:
        staff = session.get(User, staff_id)
        shipment = shipments.create(
            session,
            staff,
            direction="outbound",
            section_id=gb_id,
            lines=[shipments.LineInput(edition_id, 10, "1.00")],
        )
        shipments.dispatch(session, staff, shipment.id)
        session.commit()
        shipment_id, line_id = shipment.id, shipment.lines[0].id

    def receive() -> str:
        with factory() as session:
            try:
                receipts_service.receive(
                    session,
                    session.get(User, staff_id),
                    shipment_id,
                    [receipts_service.ReceiptInput(line_id, received=10)],
                )
                session.commit()
                return "received"
            except DomainError:
                session.rollback()
                return "refused"

    try:
        assert sorted(_together(receive, receive)) == ["received", "refused"]
        with factory() as session:
            store = session.scalar(select(Location).where(Location.code == "GB-STORE"))
            assert ledger.balance(session, store.id, edition_id, "unsigned") == 10
            assert session.get(ShipmentLine, line_id).received_qty == 10
            assert session.get(Shipment, shipment_id).status == "received"
            assert ledger.check(session) == []
    finally:
        engine.dispose()


def test_the_same_form_sent_twice_at_once_makes_one_document(database):
    from tracker.services import movements
    from tracker.services.documents import AlreadySubmitted, new_key

    engine, factory, edition_id, _gb_id, staff_id = _committed_world(database, 50)
    key = new_key()

    def record() -> str:
        with factory() as session:
            try:
                movements.record_print_run(
                    session,
                    session.get(User, staff_id),
                    edition_id=edition_id,
                    qty=5,
                    reference="R2",
                    key=key,
                )
                session.commit()
                return "recorded"
            except AlreadySubmitted:
                session.rollback()
                return "duplicate"

    try:
        assert sorted(_together(record, record)) == ["duplicate", "recorded"]
        with factory() as session:
            assert (
                session.scalar(
                    select(func.count()).select_from(Document).where(Document.submission_key == key)
                )
                == 1
            )
            warehouse = session.scalar(select(Location).where(Location.code == "WH"))
            assert ledger.balance(session, warehouse.id, edition_id, "unsigned") == 55
    finally:
        engine.dispose()


def test_two_phones_selling_the_last_copy(database):
    """Two treasurers' phones sell the last copy at the same moment: one sale, one message."""
    from tracker.domain.errors import InsufficientStock
    from tracker.models import Sale
    from tracker.services import sales as sales_service
    from tracker.services import shipments

    engine, factory, edition_id, gb_id, _staff = _committed_world(database, 1)
    with factory() as session:
        shipment = shipments.create(
            session,
            None,
            direction="outbound",
            section_id=gb_id,
            lines=[shipments.LineInput(edition_id, 1, "1")],
        )
        shipments.dispatch(session, None, shipment.id)
        receipts_service.receive(
            session,
            None,
            shipment.id,
            [receipts_service.ReceiptInput(shipment.lines[0].id, received=1)],
        )
        session.commit()
        store_id = shipment.to_location_id

    def sell() -> str:
        with factory() as session:
            try:
                sales_service.sell(
                    session,
                    None,
                    location_id=store_id,
                    items=[sales_service.SaleItem(edition_id, 1)],
                    payment_method="cash",
                )
                session.commit()
                return "sold"
            except InsufficientStock as error:
                session.rollback()
                assert "0 copies there, 1 asked" in str(error)
                return "short"

    try:
        assert sorted(_together(sell, sell)) == ["short", "sold"]
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Sale)) == 1

            assert ledger.check(session) == []
    finally:
        engine.dispose()


def test_the_event_form_sent_twice_at_once_makes_one_event(database):
    from datetime import date

    from tracker.models import Event
    from tracker.services import events
    from tracker.services.documents import AlreadySubmitted, new_key

    engine, factory, _edition_id, gb_id, _staff_id = _committed_world(database, 1)
    key = new_key()
    details = events.EventDetails(
        name="Marxist Fair", kind="festival", starts_on=date(2026, 11, 28)
    )

    def create() -> str:
        with factory() as session:
            try:
                events.create_event(session, None, gb_id, details, key=key)
                session.commit()
                return "created"
            except AlreadySubmitted:
                session.rollback()
                return "duplicate"

    try:
        assert sorted(_together(create, create)) == ["created", "duplicate"]
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Event)) == 1
            tables = (
                select(func.count()).select_from(Location).where(Location.kind == "event_table")
            )
            assert session.scalar(tables) == 2  # the world's GB-EV, and the event's own
    finally:
        engine.dispose()


def test_sales_dated_in_the_past_at_once_cannot_make_the_past_negative(database):
    """20 copies reach the table on 1 Feb 2024 and 20 more on 1 Mar; eight workers at
    once each sell 5 copies dated 10 Feb. There are 40 copies now, but on 10 Feb there
    were 20: four sales are taken, four are refused, and the past adds up."""
    from datetime import UTC, datetime

    from tracker.domain.errors import NotThereThen

    engine = make_engine(database.fresh(), sqlite_busy_timeout=60)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        world = World.build(session).stocked(100)
        world.post("transfer", 20, "GB-STORE", "GB-EV", at=datetime(2024, 2, 1, 9, tzinfo=UTC))
        world.post("transfer", 20, "GB-STORE", "GB-EV", at=datetime(2024, 3, 1, 9, tzinfo=UTC))
        ids = {code: world.loc(code).id for code in ("GB-EV", "GB-CUSTOMERS")}
        edition_id = world.edition.id
        session.commit()
    sale = MoveLine("sale", edition_id, 5, ids["GB-EV"], ids["GB-CUSTOMERS"])
    when = datetime(2024, 2, 10, 19, tzinfo=UTC)

    def sell(_worker: int, _i: int) -> str:
        with factory() as session:
            try:
                post_document(session, "sale", [sale], occurred_at=when)
                session.commit()
                return "sold"
            except NotThereThen as error:
                session.rollback()
                assert "were at London launch (GB-EV) on 10 Feb 2024" in str(error)
                return "short"

    outcomes = _run_workers(sell, per_worker=1)
    try:
        assert sorted(outcomes) == ["short"] * 4 + ["sold"] * 4
        with factory() as session:
            assert ledger.balance(session, ids["GB-EV"], edition_id, "unsigned") == 20
            assert ledger.check(session) == []
    finally:
        engine.dispose()
