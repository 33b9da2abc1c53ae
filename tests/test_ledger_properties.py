"""Property-based: whatever is posted, valid or not, the ledger stays true to itself.

For any sequence of postings and reversals (many of them invalid or asking for more
than is there): every location but a source holds zero or more copies, every balance
equals the sum of its moves, the copies add up to zero over all locations (what the
printer gave is somewhere), and a refused posting changes nothing.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.factories import World, snapshot
from tracker import ledger
from tracker.domain.errors import AlreadyReversed, DomainError, InsufficientStock, InvalidMove
from tracker.domain.places import SOURCE_KINDS
from tracker.domain.stock import MoveKind
from tracker.ledger import MoveLine
from tracker.models import Balance, Location, Move
from tracker.services.stock import post_document, reverse_moves

CODES = [
    "PRINTER",
    "WH",
    "WH-TRANSIT",
    "WH-STOCKTAKE",
    "WH-WRITTEN-OFF",
    "GB-STORE",
    "GB-EV",
    "GB-TRANSIT",
    "GB-CUSTOMERS",
    "GB-WRITTEN-OFF",
    "GB-STOCKTAKE",
    "SE-STORE",
    "SE-TRANSIT",
]
VALID = [
    ("print_run", "PRINTER", "WH"),
    ("dispatch", "WH", "GB-TRANSIT"),
    ("receipt", "GB-TRANSIT", "GB-STORE"),
    ("transfer", "GB-STORE", "GB-EV"),
    ("transfer", "GB-EV", "GB-STORE"),
    ("sale", "GB-EV", "GB-CUSTOMERS"),
    ("sale", "GB-STORE", "GB-CUSTOMERS"),
    ("signing", "GB-EV", "GB-EV"),
    ("write_off", "GB-STORE", "GB-WRITTEN-OFF"),
    ("stocktake_gain", "GB-STOCKTAKE", "GB-STORE"),
    ("stocktake_loss", "GB-EV", "GB-STOCKTAKE"),
    ("customer_return", "GB-CUSTOMERS", "GB-STORE"),
    ("transit_loss", "GB-TRANSIT", "GB-WRITTEN-OFF"),
    ("dispatch", "GB-STORE", "SE-TRANSIT"),
    ("receipt", "SE-TRANSIT", "SE-STORE"),
]

conditions = st.sampled_from(["unsigned", "signed"])
valid_qty = st.integers(min_value=1, max_value=40)
quantities = st.one_of(
    valid_qty,
    valid_qty,
    valid_qty,
    valid_qty,
    valid_qty,
    valid_qty,
    st.integers(min_value=-3, max_value=0),
    st.sampled_from(["3", 2.5, None, True, 2_000_000]),
)
valid_route = st.sampled_from(VALID).map(lambda r: {"kind": r[0], "src": r[1], "dst": r[2]})
any_route = st.fixed_dictionaries(
    {
        "kind": st.sampled_from([k.value for k in MoveKind] + ["nonsense"]),
        "src": st.sampled_from(CODES),
        "dst": st.sampled_from(CODES),
    }
)
lines = st.builds(
    lambda route, edition, qty, condition, to_condition: {
        **route,
        "edition": edition,
        "qty": qty,
        "condition": condition,
        "to_condition": "signed" if route["kind"] == "signing" else to_condition,
    },
    st.one_of(valid_route, valid_route, valid_route, valid_route, valid_route, any_route),
    st.sampled_from(["en", "en", "en", "es"]),
    quantities,
    st.sampled_from(["unsigned", "unsigned", "unsigned", "signed"]),
    st.one_of(st.none(), st.none(), st.none(), conditions),
)
operations = st.one_of(
    st.tuples(st.just("post"), st.lists(lines, min_size=1, max_size=3)),
    st.tuples(st.just("post"), st.lists(lines, min_size=1, max_size=1)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=1000)),
)


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, max_size=20))
def test_the_ledger_stays_consistent(world: World, session, steps):
    savepoint = session.begin_nested()
    try:
        _run(world, session, steps)
    finally:
        savepoint.rollback()


def _run(world: World, session, steps) -> None:
    run = _Run.start(world, session)
    for op, arg in steps:
        run.step(op, arg)
    assert ledger.check(session) == []


class _Run:
    """The ledger under test, and the balances every accepted step should leave (the
    model), and the moves made so far (what a reversal picks from)."""

    def __init__(self, world: World, session):
        self.session = session
        self.locations = {code: world.loc(code) for code in CODES}
        self.sources = {loc.id for loc in self.locations.values() if loc.kind in SOURCE_KINDS}
        self.editions = {"en": world.edition.id, "es": world.edition_es.id}
        self.model: dict[tuple, int] = defaultdict(int)
        for key, qty in snapshot(session)[0].items():
            self.model[key] = qty
        self.made: list[int] = []

    @classmethod
    def start(cls, world: World, session) -> _Run:
        # Some stock everywhere to start from, so that most valid postings can succeed.
        world.stocked(100)
        world.printed(60, edition=world.edition_es)
        world.printed(100)
        world.post("transfer", 40, "GB-STORE", "GB-EV")
        world.post("signing", 15, "GB-EV", "GB-EV", to_condition="signed")
        world.post("sale", 5, "GB-EV", "GB-CUSTOMERS", condition="signed")
        return cls(world, session)

    def step(self, op: str, arg) -> None:
        session = self.session
        before = snapshot(session)
        deltas: dict[tuple, int] = defaultdict(int)
        if op != "post" and not self.made:
            return
        try:
            document = self._post(arg, deltas) if op == "post" else self._reverse(arg, deltas)
        except InsufficientStock:
            event(f"{op}: short")
            assert any(
                self.model[k] + d < 0 for k, d in deltas.items() if k[0] not in self.sources and d
            )
            assert snapshot(session) == before
            return
        except (InvalidMove, AlreadyReversed):
            event(f"{op}: refused")
            assert snapshot(session) == before
            return
        except DomainError as error:  # pragma: no cover - any other refusal is a finding
            raise AssertionError(f"unexpected refusal: {error}") from error
        event(f"{op}: accepted")
        # Accepted: nothing but a source went below zero, and the balances moved by the deltas.
        for key, delta in deltas.items():
            self.model[key] += delta
            assert key[0] in self.sources or self.model[key] >= 0, key
        self.made.extend(session.scalars(select(Move.id).where(Move.document_id == document.id)))
        _assert_invariants(session, self.model, self.sources)

    def _post(self, specs: list[dict], deltas: dict[tuple, int]):
        """One document of the lines asked for; what each line should move, in ``deltas``."""
        moves = []
        for spec in specs:
            source = self.locations[spec["src"]].id
            target = self.locations[spec["dst"]].id
            edition = self.editions[spec["edition"]]
            moves.append(
                MoveLine(
                    kind=spec["kind"],
                    edition_id=edition,
                    qty=spec["qty"],
                    from_location_id=source,
                    to_location_id=target,
                    from_condition=spec["condition"],
                    to_condition=spec["to_condition"],
                )
            )
            if isinstance(spec["qty"], int):
                src_cond = spec["condition"]
                dst_cond = spec["to_condition"] or src_cond
                deltas[(source, edition, src_cond)] -= spec["qty"]
                deltas[(target, edition, dst_cond)] += spec["qty"]
        return post_document(self.session, "test", moves)

    def _reverse(self, pick: int, deltas: dict[tuple, int]):
        """The reversal of one of the moves made; what it should move, in ``deltas``."""
        target = self.session.get(Move, self.made[pick % len(self.made)])
        deltas[(target.to_location_id, target.edition_id, target.to_condition)] -= target.qty
        deltas[(target.from_location_id, target.edition_id, target.from_condition)] += target.qty
        return reverse_moves(self.session, [target.id])


def _assert_invariants(session, model: dict, sources: set[int]) -> None:
    balances = {
        (b.location_id, b.edition_id, b.condition): b.qty for b in session.scalars(select(Balance))
    }
    assert {k: v for k, v in balances.items() if v} == {k: v for k, v in model.items() if v}
    assert all(qty >= 0 for (loc, _e, _c), qty in balances.items() if loc not in sources)
    # Conservation: every copy that came from a source is somewhere.
    assert sum(balances.values()) == 0
    assert session.scalar(select(Location).where(Location.code == "PRINTER")) is not None
