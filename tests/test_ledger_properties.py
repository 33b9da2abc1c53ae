"""Property-based: whatever is posted, valid or not, the ledger stays true to itself.

For any sequence of postings and reversals (many of them invalid or asking for more
than is there): every location but a source holds zero or more copies, every balance
equals the sum of its moves, the copies add up to zero over all locations (what the
printer gave is somewhere), and a refused posting changes nothing.
"""

from __future__ import annotations

from collections import defaultdict

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
    # Some stock everywhere to start from, so that most valid postings can succeed.
    world.stocked(100)
    world.post("print_run", 60, "PRINTER", "WH", edition=world.edition_es)
    world.post("print_run", 100, "PRINTER", "WH")
    world.post("transfer", 40, "GB-STORE", "GB-EV")
    world.post("signing", 15, "GB-EV", "GB-EV", to_condition="signed")
    world.post("sale", 5, "GB-EV", "GB-CUSTOMERS", condition="signed")
    locations = {code: world.loc(code) for code in CODES}
    sources = {loc.id for loc in locations.values() if loc.kind in SOURCE_KINDS}
    editions = {"en": world.edition.id, "es": world.edition_es.id}
    model: dict[tuple, int] = defaultdict(int)
    for key, qty in snapshot(session)[0].items():
        model[key] = qty
    made: list[int] = []

    for op, arg in steps:
        before = snapshot(session)
        deltas: dict[tuple, int] = defaultdict(int)
        try:
            if op == "post":
                moves = []
                for spec in arg:
                    moves.append(
                        MoveLine(
                            kind=spec["kind"],
                            edition_id=editions[spec["edition"]],
                            qty=spec["qty"],
                            from_location_id=locations[spec["src"]].id,
                            to_location_id=locations[spec["dst"]].id,
                            from_condition=spec["condition"],
                            to_condition=spec["to_condition"],
                        )
                    )
                    if isinstance(spec["qty"], int):
                        src_cond = spec["condition"]
                        dst_cond = spec["to_condition"] or src_cond
                        deltas[
                            (locations[spec["src"]].id, editions[spec["edition"]], src_cond)
                        ] -= spec["qty"]
                        deltas[
                            (locations[spec["dst"]].id, editions[spec["edition"]], dst_cond)
                        ] += spec["qty"]
                document = post_document(session, "test", moves)
            else:
                if not made:
                    continue
                target = session.get(Move, made[arg % len(made)])
                deltas[(target.to_location_id, target.edition_id, target.to_condition)] -= (
                    target.qty
                )
                deltas[(target.from_location_id, target.edition_id, target.from_condition)] += (
                    target.qty
                )
                document = reverse_moves(session, [target.id])
        except InsufficientStock:
            event(f"{op}: short")
            assert any(model[k] + d < 0 for k, d in deltas.items() if k[0] not in sources and d)
            assert snapshot(session) == before
            continue
        except (InvalidMove, AlreadyReversed):
            event(f"{op}: refused")
            assert snapshot(session) == before
            continue
        except DomainError as error:  # pragma: no cover - any other refusal is a finding
            raise AssertionError(f"unexpected refusal: {error}") from error
        event(f"{op}: accepted")
        # Accepted: nothing but a source went below zero, and the balances moved by the deltas.
        for key, delta in deltas.items():
            model[key] += delta
            assert key[0] in sources or model[key] >= 0, key
        made.extend(session.scalars(select(Move.id).where(Move.document_id == document.id)))
        _assert_invariants(session, model, sources)
    assert ledger.check(session) == []


def _assert_invariants(session, model: dict, sources: set[int]) -> None:
    balances = {
        (b.location_id, b.edition_id, b.condition): b.qty for b in session.scalars(select(Balance))
    }
    assert {k: v for k, v in balances.items() if v} == {k: v for k, v in model.items() if v}
    assert all(qty >= 0 for (loc, _e, _c), qty in balances.items() if loc not in sources)
    # Conservation: every copy that came from a source is somewhere.
    assert sum(balances.values()) == 0
    assert session.scalar(select(Location).where(Location.code == "PRINTER")) is not None
