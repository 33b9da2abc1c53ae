"""The audit trail's hash chain: every committed audit row has a link, `tracker audit
verify` recomputes them, and a row changed or deleted by someone who got around the
triggers (the tables' owner) is found and named."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories import World
from tests.test_imports import csv_of, sales_file
from tracker import audit, db
from tracker.models import AuditEntry, AuditLink
from tracker.services import imports


def _engine(app):
    return app.extensions["tracker.db"].engine


@pytest.fixture
def built(committed_app):
    """A committed world with stock moved about: a few dozen audit rows."""
    with Session(_engine(committed_app)) as session:
        world = World.build(session).stocked(50)
        session.commit()
        world.post("transfer", 5, "GB-STORE", "GB-EV")
        world.post("transfer", 2, "GB-EV", "GB-STORE")
        session.commit()
    return committed_app


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _links(app) -> list[tuple[int, int]]:
    with Session(_engine(app)) as session:
        return [
            (link.seq, link.audit_id)
            for link in session.scalars(select(AuditLink).order_by(AuditLink.seq))
        ]


def _as_owner(app, *statements) -> None:
    """Run statements (text, or text with its parameters) as the owner of the tables,
    on a connection of its own."""
    with _engine(app).begin() as connection:
        for statement in statements:
            connection.execute(text(statement) if isinstance(statement, str) else statement)


def _sql(statement: str, **params: object):
    return text(statement).bindparams(**params)


def _without_triggers(app, table: str, *statements) -> None:
    """What the tables' owner can do: the triggers out of the way, then the change (on
    PostgreSQL disabled for the change; on SQLite dropped)."""
    if _engine(app).dialect.name == "sqlite":
        _as_owner(
            app,
            f"DROP TRIGGER IF EXISTS {table}_no_update",
            f"DROP TRIGGER IF EXISTS {table}_no_delete",
            *statements,
        )
    else:
        _as_owner(
            app,
            f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_update_or_delete",
            *statements,
            f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_update_or_delete",
        )


def test_a_clean_chain_verifies(built):
    with Session(_engine(built)) as session:
        rows = session.scalar(select(func.count()).select_from(AuditEntry))
        newest = session.scalar(select(AuditLink.hash).order_by(AuditLink.seq.desc()).limit(1))
    links = _links(built)
    assert rows > 10 and len(links) == rows
    # One link per row, numbered without gaps, in the order of the ids (one writer).
    assert [seq for seq, _ in links] == list(range(1, rows + 1))
    assert [audit_id for _, audit_id in links] == sorted(a for _, a in links)
    result = _verify(built)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{rows:,} rows, chain intact; newest hash {newest}."


def test_an_empty_trail_verifies(committed_app):
    result = _verify(committed_app)
    assert result.exit_code == 0 and result.output.strip() == "0 rows, chain intact."


def test_a_row_changed_by_the_owner_is_found(built):
    """The owner drops (SQLite) or disables (PostgreSQL) the trigger and rewrites what a
    row says: its link no longer matches, and verify names the row."""
    seq, audit_id = _links(built)[5]
    _without_triggers(
        built,
        "audit_log",
        _sql("UPDATE audit_log SET summary = 'nothing here' WHERE id = :id", id=audit_id),
    )
    result = _verify(built)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Audit chain broken after {seq - 1:,} intact rows: audit row #{audit_id} "
        f"(link {seq:,}): its content does not match its hash: the row was changed after "
        "it was written."
    )


def test_a_section_taken_off_a_row_is_found(built):
    with Session(_engine(built)) as session:
        audit_id, section_id = session.execute(
            text("SELECT audit_id, section_id FROM audit_sections ORDER BY audit_id LIMIT 1")
        ).one()
    _without_triggers(
        built,
        "audit_sections",
        _sql(
            "DELETE FROM audit_sections WHERE audit_id = :a AND section_id = :s",
            a=audit_id,
            s=section_id,
        ),
    )
    result = _verify(built)
    assert result.exit_code == 1
    assert f"audit row #{audit_id} " in result.output and "content does not match" in result.output


def test_a_deleted_row_is_found(built):
    """A row deleted with its sections and its link (the link's foreign key would
    refuse otherwise): the next link finds the one before it missing."""
    links = _links(built)
    (seq, audit_id), (_, after) = links[7], links[8]
    for table, column in (
        ("audit_sections", "audit_id"),
        ("audit_chain", "audit_id"),
        ("audit_log", "id"),
    ):
        delete = _sql(f"DELETE FROM {table} WHERE {column} = :a", a=audit_id)  # noqa: S608
        _without_triggers(built, table, delete)
    result = _verify(built)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Audit chain broken after {seq - 1:,} intact rows: audit row #{after} "
        f"(link {seq + 1:,}): the links before it ({seq:,}) are missing: audit rows were "
        "deleted with their links."
    )


def test_a_chain_rewritten_from_a_deleted_row_on_is_found(built):
    """Deleting a row and renumbering the links after it does not hide it: the next
    link still holds the hash of the deleted one."""
    links = _links(built)
    seq, audit_id = links[3]
    _without_triggers(
        built, "audit_sections", _sql("DELETE FROM audit_sections WHERE audit_id = :a", a=audit_id)
    )
    _without_triggers(
        built,
        "audit_chain",
        _sql("DELETE FROM audit_chain WHERE audit_id = :a", a=audit_id),
        _sql("UPDATE audit_chain SET seq = seq - 1 WHERE seq > :s", s=seq),
    )
    _without_triggers(built, "audit_log", _sql("DELETE FROM audit_log WHERE id = :a", a=audit_id))
    result = _verify(built)
    assert result.exit_code == 1
    assert f"audit row #{links[4][1]} (link {seq:,}): its link does not follow" in result.output


def test_a_row_slipped_in_is_found(built):
    _as_owner(
        built,
        "INSERT INTO audit_log (at, kind, object_type, summary) "
        "VALUES ('2026-01-01 00:00:00+00', 'user.login', 'user', 'nothing happened')",
    )
    with Session(_engine(built)) as session:
        slipped = session.scalar(select(func.max(AuditEntry.id)))
    result = _verify(built)
    assert result.exit_code == 1
    assert f"audit row #{slipped} is not in the chain" in result.output


def test_a_savepoint_rolled_back_leaves_no_link(committed_app):
    """An audit row undone with its savepoint gets no link, even when (SQLite) the next
    row takes its id."""
    with Session(_engine(committed_app)) as session:
        audit.record(session, kind="test.kept", object_type="test", object_id=1, summary="one")
        savepoint = session.begin_nested()
        audit.record(session, kind="test.undone", object_type="test", object_id=2, summary="x")
        savepoint.rollback()
        audit.record(session, kind="test.kept", object_type="test", object_id=3, summary="two")
        session.commit()
        kinds = list(session.scalars(select(AuditEntry.kind).order_by(AuditEntry.id)))
    assert kinds == ["test.kept", "test.kept"]
    assert len(_links(committed_app)) == 2
    result = _verify(committed_app)
    assert result.exit_code == 0 and result.output.startswith("2 rows, chain intact"), result.output


def test_many_rows_at_once_are_written_as_one_at_a_time(committed_app):
    """Enough rows at once for the quickest way in (COPY on PostgreSQL): the same rows,
    values, sections and links as written one by one, and the chain verifies."""
    many = db.COPY_FROM + 5

    def entry(n: int) -> audit.Entry:
        return audit.Entry(
            "test.many",
            "test",
            n,
            f"row {n}",
            before=None if n % 2 else {"qty": n},
            after={"at": datetime(2026, 1, 2, tzinfo=UTC), "price": Decimal("1.50"), "n": [n]},
            section_ids=[None] if n % 3 else [],
        )

    with Session(_engine(committed_app)) as session:
        audit.record_all(session, [entry(0)])
        audit.record_all(session, [entry(n) for n in range(1, many + 1)])
        session.commit()
        rows = session.execute(
            select(
                AuditEntry.id,
                AuditEntry.object_id,
                AuditEntry.before,
                AuditEntry.after,
                AuditEntry.before.is_(None),
            ).order_by(AuditEntry.id)
        ).all()
    assert [int(row.object_id) for row in rows] == list(range(many + 1))
    assert [row.id for row in rows] == sorted({row.id for row in rows})
    # None is JSON null either way, as an INSERT writes it.
    assert {row[4] for row in rows} == {False}
    assert rows[2].before == {"qty": 2} and rows[1].before is None
    assert rows[7].after == {"at": "2026-01-02T00:00:00+00:00", "price": "1.50", "n": [7]}
    assert [audit_id for _, audit_id in _links(committed_app)] == [row.id for row in rows]
    result = _verify(committed_app)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{many + 1:,} rows, chain intact"), result.output


def test_an_import_keeps_the_chain(built):
    """An imported file's sales are one entry per place, linked like any other row:
    the chain verifies after it."""
    with Session(_engine(built)) as session:
        outcome = imports.run(session, None, "sales", csv_of(sales_file(25)), filename="old.csv")
        assert outcome.written, outcome.problems
        session.commit()
        rows = session.scalar(select(func.count()).select_from(AuditEntry))
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.kind == "import.sales"))
    assert entry.after["documents"]["count"] == 25
    assert entry.id in [audit_id for _, audit_id in _links(built)]
    result = _verify(built)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{rows:,} rows, chain intact"), result.output


def test_concurrent_writers_make_one_chain(built):
    """Two writers at once, each committing transactions of two postings: every row is
    linked once, and the chain verifies (on PostgreSQL the links are written one
    transaction at a time, whatever order the rows' ids came in)."""
    engine = _engine(built)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def writer(there: str, back: str) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                world = World(session, *_editions(session))
                session.commit()  # on SQLite, no write lock held while waiting
                start.wait()
                for _ in range(15):
                    world.post("transfer", 1, there, back)
                    world.post("transfer", 1, back, there)
                    session.commit()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [
        threading.Thread(target=writer, args=("GB-STORE", "GB-EV")),
        threading.Thread(target=writer, args=("GB-EV", "GB-STORE")),
    ]
    # Copies at the table too, so that both directions can start.
    with Session(engine) as session:
        World(session, *_editions(session)).post("transfer", 10, "GB-STORE", "GB-EV")
        session.commit()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    with Session(engine) as session:
        rows = session.scalar(select(func.count()).select_from(AuditEntry))
    links = _links(built)
    assert len(links) == rows and len({a for _, a in links}) == rows
    result = _verify(built)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{rows:,} rows, chain intact")


def _editions(session):
    from tests.factories import ISBN_EN, ISBN_ES
    from tracker.models import Edition

    by_isbn = {e.isbn: e for e in session.scalars(select(Edition))}
    return by_isbn[ISBN_EN], by_isbn[ISBN_ES]
