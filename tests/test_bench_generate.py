"""The benchmarks' generator writes the same ledger for the same seed, row for row.

The digests below were taken once the generator dated every posting so that its past
adds up (shipments received on their day, copies taken back from a table in the store
from the next day on); a change to how it draws its random numbers, or to the order
it posts in, shows here. Columns the clock fills (when a row was written, and the audit
chain's hashes over them) are left out. Taken on SQLite: the values are read back as the
engine gives them.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.generate import generate
from tracker.db import Base, make_engine

# Written when the row is, not by the campaign.
CLOCK_COLUMNS = {
    ("audit_log", "at"),
    ("audit_chain", "prev_hash"),
    ("audit_chain", "hash"),
    ("documents", "created_at"),
    # A shipment's document is made (as a draft) when it is written; its moves carry the
    # campaign's dates.
    ("documents", "occurred_at"),
    ("moves", "created_at"),
}


def _rows(session: Session) -> list:
    """Every table's rows, by primary key, without the clock's columns (what the session
    sees: a generation that does not commit only flushes)."""
    tables = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in CLOCK_COLUMNS]
        order = list(table.primary_key.columns) or columns
        rows = session.execute(select(*columns).order_by(*order)).all()
        tables.append((table.name, [c.name for c in columns], [tuple(r) for r in rows]))
    return tables


CASES = {
    # Three countries, one last shipment held up on the way, commits and progress.
    "three countries": (
        dict(moves=1_500, countries=3, events_per_section=2, seed=11, commit=True),
        "8c918cfff4c4bf11d066dd033837be60ba023bdf1af43dec0bd01ef29dbf7e7e",
    ),
    # One country, one event, nothing committed (flushed only).
    "one country": (
        dict(moves=400, countries=1, events_per_section=1, seed=3, commit=False),
        "40d539c7d2ce16cfd18ceec830784870a5c86ccd1f7c9ec224e24738331d6ba3",
    ),
}


# The digests are SQLite's: the test asks for that engine alone (nothing is skipped).
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", CASES)
def test_the_same_seed_writes_the_same_ledger(database, case):
    options, expected = CASES[case]
    engine = make_engine(database.fresh())
    days: list[date] = []
    try:
        with Session(engine) as session:
            summary = generate(session, end=date(2025, 6, 30), progress=days.append, **options)
            figures = (summary.moves, summary.documents, summary.sections, summary.locations)
            written = (figures, summary.events, days, _rows(session))
    finally:
        engine.dispose()
    assert hashlib.sha256(repr(written).encode()).hexdigest() == expected
