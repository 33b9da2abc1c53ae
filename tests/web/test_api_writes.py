"""The JSON API's writes besides sales, through HTTP: shipments drafted, dispatched,
cancelled and received (with discrepancies), transfers and write-offs. Each lands in
the ledger; the same Idempotency-Key twice is one write and the first answer; a
treasurer meets only their own section's places and shipments; a spoiled value is
refused naming it, with nothing written."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import World, csrf_token, snapshot
from tracker.domain.accounts import Role
from tracker.models import Location, Shipment


def _write(client, path, body, *, key=None):
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    headers["X-CSRFToken"] = csrf_token(client, "/account")
    return client.post(path, json=body, headers=headers)


@pytest.fixture
def scene(world: World, session, login):
    """50 copies in the warehouse (and 5 of the Spanish edition), 20 in Britain's store;
    distribution staff, and the treasurers of Britain and Sweden."""
    world.printed(50)
    world.printed(5, edition=world.edition_es)
    world.stocked(20)
    session.commit()
    return {
        "world": world,
        "staff": login(Role.DISTRIBUTOR),
        "gb": login(Role.TREASURER, "GB"),
        "se": login(Role.TREASURER, "SE"),
        "wh": world.loc("WH").id,
        "store": world.loc("GB-STORE").id,
        "table": world.loc("GB-EV").id,
        "se_store": world.loc("SE-STORE").id,
        "section": world.loc("GB-STORE").section_id,
    }


def _draft_body(scene, **changes):
    world = scene["world"]
    body = {
        "section": scene["section"],
        "lines": [{"edition": world.edition.id, "copies": 10, "price": "4.50"}],
        "terms": "sale_or_return",
        "carrier": "DHL",
        "tracking_number": "T-1",
        "expected_on": (date.today() + timedelta(days=7)).isoformat(),
        "reference": "Order 17",
        "note": "Two boxes",
    }
    return {**body, **changes}


def _draft(scene, **changes) -> dict:
    answer = _write(scene["staff"], "/api/v1/shipments", _draft_body(scene, **changes))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _dispatched(scene, **changes) -> dict:
    shipment = _draft(scene, **changes)
    answer = _write(scene["staff"], f"/api/v1/shipments/{shipment['id']}/dispatch", {})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _copies(client, place: int, edition: int, condition: str = "unsigned") -> int:
    """What GET /api/v1/stock says the place holds."""
    items = client.get(
        f"/api/v1/stock?place={place}&edition={edition}&condition={condition}"
    ).get_json()["items"]
    return sum(item["copies"] for item in items)


def _now(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


# -- each write, in the ledger ----------------------------------------------------------------


def test_a_shipment_is_drafted_dispatched_and_received_with_discrepancies(scene, session):
    world, staff, gb = scene["world"], scene["staff"], scene["gb"]
    answer = _write(staff, "/api/v1/shipments", _draft_body(scene))
    assert answer.status_code == 201, answer.get_json()
    shipment = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/shipments/{shipment['id']}"
    assert shipment["status"] == "draft"
    assert shipment["from"]["kind"] == "warehouse"
    assert shipment["to"]["id"] == scene["store"]
    assert shipment["section"]["currency"] == "GBP"
    assert shipment["terms"] == "sale_or_return"
    assert (shipment["carrier"], shipment["tracking_number"]) == ("DHL", "T-1")
    assert (shipment["reference"], shipment["note"]) == ("Order 17", "Two boxes")
    assert shipment["value"] == {"amount": "45.00", "currency": "GBP"}
    [line] = shipment["lines"]
    assert line["edition"]["id"] == world.edition.id
    assert (line["copies"], line["price"]["amount"], line["outstanding"]) == (10, "4.50", 10)
    assert _copies(staff, scene["wh"], world.edition.id) == 50  # a draft moves nothing

    answer = _write(staff, f"/api/v1/shipments/{shipment['id']}/dispatch", {})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "dispatched"
    assert answer.get_json()["dispatched_at"] is not None
    assert _copies(staff, scene["wh"], world.edition.id) == 40
    assert world.stock("GB-TRANSIT") == 10

    # Seven whole and two damaged; one still on its way.
    answer = _write(
        gb,
        f"/api/v1/shipments/{shipment['id']}/receipt",
        {
            "lines": [
                {"line": line["id"], "received": 7, "damaged": 2, "reason": "damaged_in_transit"}
            ],
            "received_at": _now(),
            "note": "Box 2 wet",
        },
    )
    assert answer.status_code == 200, answer.get_json()
    received = answer.get_json()
    assert received["status"] == "partly_received"
    assert received["lines"][0] | {"edition": None} == {
        **line,
        "edition": None,
        "received": 7,
        "damaged": 2,
        "missing": 0,
        "outstanding": 1,
    }
    assert len(received["receipts"]) == 1
    assert _copies(gb, scene["store"], world.edition.id) == 27
    assert world.stock("GB-TRANSIT") == 1

    # The last copy never came: named by its edition.
    answer = _write(
        gb,
        f"/api/v1/shipments/{shipment['id']}/receipt",
        {"lines": [{"edition": world.edition.id, "missing": 1, "reason": "missing"}]},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "received"
    # The answer is the shipment as GET gives it.
    assert gb.get(f"/api/v1/shipments/{shipment['id']}").get_json() == answer.get_json()
    assert answer.get_json()["lines"][0]["missing"] == 1
    assert world.stock("GB-TRANSIT") == 0
    session.expire_all()
    assert session.get(Shipment, shipment["id"]).status == "received"


def test_a_draft_is_cancelled_once(scene):
    staff = scene["staff"]
    shipment = _draft(scene)
    answer = _write(staff, f"/api/v1/shipments/{shipment['id']}/cancel", {})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "cancelled"
    assert answer.get_json()["cancelled_at"] is not None
    again = _write(staff, f"/api/v1/shipments/{shipment['id']}/cancel", {})
    assert again.status_code == 409
    assert again.get_json()["type"] == "wrong-state"
    dispatch = _write(staff, f"/api/v1/shipments/{shipment['id']}/dispatch", {})
    assert dispatch.status_code == 409


def test_a_dispatch_the_warehouse_cannot_fill_moves_nothing_and_names_the_line(scene, session):
    world, staff = scene["world"], scene["staff"]
    shipment = _draft(
        scene,
        lines=[
            {"edition": world.edition.id, "copies": 10, "price": "4.50"},
            {"edition": world.edition_es.id, "copies": 6, "price": "5.00"},
        ],
    )
    before = snapshot(session)
    answer = _write(staff, f"/api/v1/shipments/{shipment['id']}/dispatch", {})
    assert answer.status_code == 409
    problem = answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert (problem["type"], problem["field"]) == ("insufficient-stock", "lines[1]")
    assert "5 copies there, 6 asked" in problem["detail"]
    assert snapshot(session) == before
    session.expire_all()
    assert session.get(Shipment, shipment["id"]).status == "draft"


def test_a_dispatch_dated_when_it_left(scene):
    staff = scene["staff"]
    shipment = _draft(scene)
    when = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    answer = _write(
        staff,
        f"/api/v1/shipments/{shipment['id']}/dispatch",
        {"dispatched_at": when.isoformat()},
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["dispatched_at"] == when.isoformat().replace("+00:00", "Z")


def test_copies_are_transferred_to_an_event_table_and_back(scene):
    world, gb = scene["world"], scene["gb"]
    answer = _write(
        gb,
        "/api/v1/transfers",
        {
            "from": scene["store"],
            "to": scene["table"],
            "lines": [{"edition": world.edition.id, "copies": 6}],
            "note": "For the launch",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    transfer = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/transfers/{transfer['id']}"
    assert (transfer["from"]["id"], transfer["to"]["id"]) == (scene["store"], scene["table"])
    assert [(x["edition"]["id"], x["condition"], x["copies"]) for x in transfer["lines"]] == [
        (world.edition.id, "unsigned", 6)
    ]
    assert transfer["note"] == "For the launch"
    # Its address answers it, to its section's treasurer; to another's it is not there.
    assert gb.get(answer.headers["Location"]).get_json() == transfer
    assert scene["se"].get(answer.headers["Location"]).status_code == 404
    assert gb.get("/api/v1/transfers/999999").status_code == 404
    assert _copies(gb, scene["store"], world.edition.id) == 14
    assert _copies(gb, scene["table"], world.edition.id) == 6

    body = {
        "from": scene["table"],
        "to": scene["store"],
        "lines": [{"edition": world.edition.id, "copies": 2}],
        "when": _now(hours=-1),
    }
    # Dated before the copies came to the table: they were not there then.
    early = _write(gb, "/api/v1/transfers", body)
    assert early.status_code == 409
    assert (early.get_json()["type"], early.get_json()["field"]) == ("not-there", "lines[0]")
    back = _write(gb, "/api/v1/transfers", {**body, "when": None})
    assert back.status_code == 201, back.get_json()
    assert _copies(gb, scene["store"], world.edition.id) == 16


def test_copies_are_written_off(scene):
    world, gb, staff = scene["world"], scene["gb"], scene["staff"]
    answer = _write(
        gb,
        "/api/v1/write-offs",
        {
            "place": scene["store"],
            "reason": "damaged",
            "lines": [{"edition": world.edition.id, "copies": 3}],
            "note": "Rain through the roof",
        },
    )
    assert answer.status_code == 201, answer.get_json()
    written = answer.get_json()
    assert answer.headers["Location"] == f"/api/v1/write-offs/{written['id']}"
    assert (written["place"]["id"], written["reason"]) == (scene["store"], "damaged")
    assert written["lines"][0]["copies"] == 3
    assert gb.get(answer.headers["Location"]).get_json() == written
    assert scene["se"].get(answer.headers["Location"]).status_code == 404
    assert staff.get(answer.headers["Location"]).status_code == 200
    assert _copies(gb, scene["store"], world.edition.id) == 17
    # The warehouse is distribution staff's.
    answer = _write(
        staff,
        "/api/v1/write-offs",
        {
            "place": scene["wh"],
            "reason": "review_copy",
            "lines": [{"edition": world.edition.id, "copies": 2}],
        },
    )
    assert answer.status_code == 201, answer.get_json()
    assert _copies(staff, scene["wh"], world.edition.id) == 48


# -- Idempotency-Key ------------------------------------------------------------------------


def _idempotent(client, path, body, other, session):
    key = str(uuid.uuid4())
    first = _write(client, path, body, key=key)
    assert first.status_code < 300, first.get_json()
    after_first = snapshot(session)
    again = _write(client, path, body, key=key)
    assert again.status_code == first.status_code
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers.get("Location") == first.headers.get("Location")
    assert snapshot(session) == after_first
    reused = _write(client, path, other, key=key)
    assert reused.status_code == 422
    assert (reused.get_json()["type"], reused.get_json()["field"]) == (
        "key-reused",
        "Idempotency-Key",
    )
    assert snapshot(session) == after_first
    return first.get_json()


def test_each_write_sent_twice_with_its_key_is_one_write_and_the_first_answer(scene, session):
    world, staff, gb = scene["world"], scene["staff"], scene["gb"]
    drafts = session.scalar(select(func.count()).select_from(Shipment))
    shipment = _idempotent(
        staff,
        "/api/v1/shipments",
        _draft_body(scene),
        _draft_body(scene, note="Three boxes"),
        session,
    )
    assert session.scalar(select(func.count()).select_from(Shipment)) == drafts + 1
    dispatched = _idempotent(
        staff,
        f"/api/v1/shipments/{shipment['id']}/dispatch",
        {},
        {"dispatched_at": _now(hours=-1)},
        session,
    )
    assert dispatched["status"] == "dispatched"
    assert world.stock("WH") == 40
    line = dispatched["lines"][0]["id"]
    received = _idempotent(
        gb,
        f"/api/v1/shipments/{shipment['id']}/receipt",
        {"lines": [{"line": line, "received": 4}]},
        {"lines": [{"line": line, "received": 5}]},
        session,
    )
    assert received["lines"][0]["received"] == 4
    lines = [{"edition": world.edition.id, "copies": 1}]
    _idempotent(
        gb,
        "/api/v1/transfers",
        {"from": scene["store"], "to": scene["table"], "lines": lines},
        {"from": scene["store"], "to": scene["table"], "lines": lines * 1, "note": "x"},
        session,
    )
    _idempotent(
        gb,
        "/api/v1/write-offs",
        {"place": scene["store"], "reason": "gift", "lines": lines},
        {"place": scene["store"], "reason": "review_copy", "lines": lines},
        session,
    )
    assert world.stock("GB-STORE") == 20 + 4 - 1 - 1
    draft = _draft(scene)
    _idempotent(
        staff,
        f"/api/v1/shipments/{draft['id']}/cancel",
        {},
        {"note": "x"},  # another body: refused as the key's, whatever it says
        session,
    )


# -- fences and roles -----------------------------------------------------------------------


def test_a_treasurer_meets_only_their_own_sections_places_and_shipments(scene, session):
    world, se, gb = scene["world"], scene["se"], scene["gb"]
    shipment = _dispatched(scene)
    lines = [{"edition": world.edition.id, "copies": 1}]
    before = snapshot(session)
    refused = [
        _write(
            se,
            f"/api/v1/shipments/{shipment['id']}/receipt",
            {"lines": [{"line": shipment["lines"][0]["id"], "received": 10}]},
        ),
        _write(
            se,
            "/api/v1/transfers",
            {"from": scene["store"], "to": scene["se_store"], "lines": lines},
        ),
        _write(
            se,
            "/api/v1/transfers",
            {"from": scene["se_store"], "to": scene["store"], "lines": lines},
        ),
        _write(
            se, "/api/v1/write-offs", {"place": scene["store"], "reason": "gift", "lines": lines}
        ),
        # The warehouse is the publisher's: no treasurer's.
        _write(gb, "/api/v1/write-offs", {"place": scene["wh"], "reason": "gift", "lines": lines}),
    ]
    assert [r.status_code for r in refused] == [404] * 5, [r.get_json() for r in refused]
    assert [r.get_json().get("field") for r in refused] == [None, "from", "to", "place", "place"]
    assert snapshot(session) == before


def test_roles_as_the_pages(scene, session):
    world, gb, staff = scene["world"], scene["gb"], scene["staff"]
    before = snapshot(session)
    assert _write(gb, "/api/v1/shipments", _draft_body(scene)).status_code == 403
    assert snapshot(session) == before
    draft = _draft(scene)
    after = snapshot(session)
    # A treasurer may not dispatch nor cancel what distribution staff send (the service's
    # rule, as on the page).
    for action in ("dispatch", "cancel"):
        refused = _write(gb, f"/api/v1/shipments/{draft['id']}/{action}", {})
        assert refused.status_code == 422, refused.get_json()
    assert snapshot(session) == after
    # Copies from one section to another: distribution staff only.
    lines = [{"edition": world.edition.id, "copies": 1}]
    body = {"from": scene["store"], "to": scene["se_store"], "lines": lines}
    assert _write(staff, "/api/v1/transfers", body).status_code == 201
    assert world.stock("SE-STORE") == 1


def test_a_closed_place_is_refused_as_the_form_refuses_it(scene, session):
    world, gb = scene["world"], scene["gb"]
    session.get(Location, scene["table"]).active = False
    session.commit()
    before = snapshot(session)
    answer = _write(
        gb,
        "/api/v1/transfers",
        {
            "from": scene["store"],
            "to": scene["table"],
            "lines": [{"edition": world.edition.id, "copies": 1}],
        },
    )
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "to"
    assert snapshot(session) == before


# -- spoiled values -------------------------------------------------------------------------

HUGE = 2**63
NUL = "a\x00b"


class Now:
    """A moment from now, made when the test runs (the tests' names stay the same from
    one collection to the next)."""

    def __init__(self, **delta):
        self.delta = delta

    def __repr__(self) -> str:
        return f"now{self.delta}"


def _spoil(body: dict, path: str, value) -> dict:
    """``body`` with the value at ``path`` (``lines.0.copies``) replaced; ``...``: removed."""
    if isinstance(value, Now):
        value = _now(**value.delta)
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return body


SHIPMENT_SPOILS = [
    ("section", ..., 422, "section"),
    ("section", "Britain", 422, "section"),
    ("section", HUGE, 422, "section"),
    ("section", 0, 422, "section"),
    ("section", 999_999, 404, "section"),
    ("store", 999_999, 422, "store"),
    ("lines", [], 422, "lines"),
    ("lines", ..., 422, "lines"),
    ("lines", "ten copies", 422, "lines"),
    ("lines.0.copies", 0, 422, "lines[0].copies"),
    ("lines.0.copies", -3, 422, "lines[0].copies"),
    ("lines.0.copies", "ten", 422, "lines[0].copies"),
    ("lines.0.copies", HUGE, 422, "lines[0].copies"),
    ("lines.0.copies", ..., 422, "lines[0].copies"),
    ("lines.0.edition", 999_999, 422, "lines[0].edition"),
    ("lines.0.edition", None, 422, "lines[0].edition"),
    ("lines.0.price", ..., 422, "lines[0].price"),
    ("lines.0.price", "abc", 422, "lines[0].price"),
    ("lines.0.price", 4.5, 422, "lines[0].price"),
    ("lines.0.price", "-1", 422, "lines[0].price"),
    ("lines.0.price", "9" * 25, 422, "lines[0].price"),
    ("lines.0.price", "4.555", 422, "lines[0].price"),
    ("terms", "gift", 422, "terms"),
    ("carrier", "x" * 101, 422, "carrier"),
    ("carrier", NUL, 422, "carrier"),
    ("carrier", 7, 422, "carrier"),
    ("tracking_number", NUL, 422, "tracking_number"),
    ("reference", NUL, 422, "reference"),
    ("reference", "x" * 121, 422, "reference"),
    ("note", NUL, 422, "note"),
    ("note", "x" * 2001, 422, "note"),
    ("expected_on", "9999-12-31", 422, "expected_on"),
    ("expected_on", "1800-01-01", 422, "expected_on"),
    ("expected_on", "next week", 422, "expected_on"),
    ("expected_on", 1_767_225_600, 422, "expected_on"),  # seconds since 1970: no day
    ("colour", "red", 422, "colour"),
]


@pytest.mark.parametrize(("path", "value", "status", "field"), SHIPMENT_SPOILS)
def test_a_spoiled_shipment_is_refused_naming_the_field(scene, session, path, value, status, field):
    before = snapshot(session)
    answer = _write(scene["staff"], "/api/v1/shipments", _spoil(_draft_body(scene), path, value))
    assert answer.status_code == status, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["field"] == field, answer.get_json()
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (Now(days=400), "dispatched_at"),
        ("1800-01-01T00:00:00Z", "dispatched_at"),
        ("9999-12-31T23:59:59+00:00", "dispatched_at"),
        ("2026-01-01T10:00:00", "dispatched_at"),  # no offset
        ("yesterday", "dispatched_at"),
        (12.5, "dispatched_at"),
        ("1767225600", "dispatched_at"),
    ],
)
def test_a_spoiled_dispatch_is_refused_naming_the_field(scene, session, value, field):
    shipment = _draft(scene)
    value = _now(**value.delta) if isinstance(value, Now) else value
    before = snapshot(session)
    answer = _write(
        scene["staff"], f"/api/v1/shipments/{shipment['id']}/dispatch", {"dispatched_at": value}
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["field"] == field
    assert snapshot(session) == before


RECEIPT_SPOILS = [
    ("lines", [], "lines"),
    ("lines.0.received", -1, "lines[0].received"),
    ("lines.0.received", HUGE, "lines[0].received"),
    ("lines.0.received", "all", "lines[0].received"),
    ("lines.0.received", 11, "lines[0]"),  # more than were sent
    ("lines.0.received", 0, "lines"),  # nothing counted
    ("lines.0.line", 999_999, "lines[0].line"),
    ("lines.0.line", ..., "lines[0]"),  # neither line nor edition
    ("lines.0.edition", 1, "lines[0]"),  # both
    ("lines.0.damaged", 1, "lines[0].reason"),  # damaged, and no reason why
    ("lines.0.reason", "stolen", "lines[0].reason"),
    ("lines.0.note", NUL, "lines[0].note"),
    ("lines.0.note", "x" * 501, "lines[0].note"),
    ("received_at", Now(days=3), "received_at"),
    ("received_at", Now(days=-3), "received_at"),  # before it was dispatched
    ("received_at", "0001-01-01T00:00:00+05:00", "received_at"),
    ("note", NUL, "note"),
]


@pytest.mark.parametrize(("path", "value", "field"), RECEIPT_SPOILS)
def test_a_spoiled_receipt_is_refused_naming_the_field(scene, session, path, value, field):
    shipment = _dispatched(scene)
    body = {"lines": [{"line": shipment["lines"][0]["id"], "received": 5}], "received_at": _now()}
    before = snapshot(session)
    answer = _write(
        scene["gb"], f"/api/v1/shipments/{shipment['id']}/receipt", _spoil(body, path, value)
    )
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["field"] == field, answer.get_json()
    assert snapshot(session) == before


def test_a_receipt_by_an_edition_not_on_the_shipment_names_it(scene, session):
    world = scene["world"]
    shipment = _dispatched(scene)
    before = snapshot(session)
    answer = _write(
        scene["gb"],
        f"/api/v1/shipments/{shipment['id']}/receipt",
        {"lines": [{"edition": world.edition_es.id, "received": 1}]},
    )
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "lines[0].edition"
    assert snapshot(session) == before
    draft = _draft(scene)
    answer = _write(
        scene["gb"],
        f"/api/v1/shipments/{draft['id']}/receipt",
        {"lines": [{"line": draft["lines"][0]["id"], "received": 1}]},
    )
    assert answer.status_code == 409  # a draft has not left
    assert snapshot(session) != before  # (the draft itself)


def _movement_body(scene, kind: str) -> dict:
    lines = [{"edition": scene["world"].edition.id, "copies": 2, "condition": "unsigned"}]
    if kind == "transfers":
        return {"from": scene["store"], "to": scene["table"], "lines": lines, "when": _now()}
    return {"place": scene["store"], "reason": "gift", "lines": lines, "when": _now()}


MOVEMENT_SPOILS = [
    ("lines", [], 422, "lines"),
    ("lines", ..., 422, "lines"),
    ("lines.0.copies", 0, 422, "lines[0].copies"),
    ("lines.0.copies", -2, 422, "lines[0].copies"),
    ("lines.0.copies", HUGE, 422, "lines[0].copies"),
    ("lines.0.copies", 2.5, 422, "lines[0].copies"),
    ("lines.0.copies", 500, 409, "lines[0]"),  # more than the store holds
    ("lines.0.edition", 999_999, 422, "lines[0].edition"),
    ("lines.0.edition", "x", 422, "lines[0].edition"),
    ("lines.0.condition", "mint", 422, "lines[0].condition"),
    ("lines.0.condition", "signed", 409, "lines[0]"),  # none signed there
    ("when", Now(days=2), 422, "when"),
    ("when", "1800-01-01T00:00:00Z", 422, "when"),
    ("when", "2026-01-01", 422, "when"),
    ("note", NUL, 422, "note"),
    ("note", "x" * 2001, 422, "note"),
]


@pytest.mark.parametrize(("path", "value", "status", "field"), MOVEMENT_SPOILS)
@pytest.mark.parametrize("kind", ["transfers", "write-offs"])
def test_a_spoiled_movement_is_refused_naming_the_field(
    scene, session, kind, path, value, status, field
):
    before = snapshot(session)
    body = _spoil(_movement_body(scene, kind), path, value)
    answer = _write(scene["gb"], f"/api/v1/{kind}", body)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["field"] == field, answer.get_json()
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("kind", "path", "value", "status", "field"),
    [
        ("transfers", "from", ..., 422, "from"),
        ("transfers", "from", HUGE, 422, "from"),
        ("transfers", "from", 999_999, 404, "from"),
        ("transfers", "to", "the table", 422, "to"),
        ("transfers", "to", "store", 422, "to"),  # where they are already
        ("transfers", "to", "wh", 404, "to"),  # the publisher's: not the treasurer's
        ("write-offs", "place", ..., 422, "place"),
        ("write-offs", "place", 999_999, 404, "place"),
        ("write-offs", "reason", "stolen", 422, "reason"),
        ("write-offs", "reason", "lost", 422, "note"),  # lost, and no note saying how
        ("write-offs", "reason", ..., 422, "reason"),
    ],
)
def test_a_spoiled_place_or_reason_is_refused_naming_it(
    scene, session, kind, path, value, status, field
):
    value = scene.get(value, value) if isinstance(value, str) else value
    before = snapshot(session)
    answer = _write(
        scene["gb"], f"/api/v1/{kind}", _spoil(_movement_body(scene, kind), path, value)
    )
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["field"] == field, answer.get_json()
    assert snapshot(session) == before


def test_copies_do_not_go_through_the_warehouse_by_transfer(scene, session):
    world, staff = scene["world"], scene["staff"]
    before = snapshot(session)
    answer = _write(
        staff,
        "/api/v1/transfers",
        {
            "from": scene["wh"],
            "to": scene["store"],
            "lines": [{"edition": world.edition.id, "copies": 1}],
        },
    )
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "from"
    assert snapshot(session) == before
