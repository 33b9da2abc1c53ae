"""Distribution through the pages: deliveries, shipments, receipts with discrepancies,
transfers, stocktakes, write-offs, returns, exports; bad input and forms sent twice."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import World, snapshot
from tests.web.forms import errors, page, send
from tracker import ledger
from tracker.domain.accounts import Role
from tracker.models import Document, Location, Section, Shipment
from tracker.services import places


@pytest.fixture
def scene(world: World, session, login):
    """Three sections (Britain, Sweden, Pakistan), a distributor and Britain's treasurer."""
    places.create_section(session, name="Pakistan", country_code="PK", currency="PKR")
    session.commit()
    return {
        "world": world,
        "staff": login(Role.DISTRIBUTOR),
        "gb": login(Role.TREASURER, "GB"),
        "se": login(Role.TREASURER, "SE"),
        "coordinator": login(Role.COORDINATOR),
    }


def _section(session, name: str) -> int:
    return session.scalar(select(Section.id).where(Section.name == name))


def _loc(session, code: str) -> int:
    return session.scalar(select(Location.id).where(Location.code == code))


def _shipment_id(response) -> int:
    assert response.status_code == 302, errors(response)
    return int(re.search(r"/shipments/(\d+)$", response.headers["Location"]).group(1))


def _deliver(staff, world: World, copies: int = 1000):
    return send(
        staff,
        "/print-runs/new",
        {"edition_id": world.edition.id, "qty": copies, "reference": "Run 1 (invoice 17)"},
    )


def test_the_whole_flow_through_the_pages(scene, session):
    world, staff, gb = scene["world"], scene["staff"], scene["gb"]
    response = _deliver(staff, world)
    assert response.status_code == 302
    assert "1,000 copies in the warehouse" in page(staff, response.headers["Location"]).text

    # Shipments to three sections.
    made = {}
    for name, qty, price in (
        ("Britain", 300, "12.50"),
        ("Sweden", 200, "160"),
        ("Pakistan", 100, "1500"),
    ):
        response = send(
            staff,
            "/shipments/new",
            {
                "section_id": _section(session, name),
                "terms": "sale_or_return",
                "carrier": "DHL",
                "tracking_number": f"T-{name}",
                "expected_on": (date.today() + timedelta(days=365)).isoformat(),
            },
            lines={(world.edition.id, None): {"qty": qty, "unit_price": price}},
        )
        made[name] = _shipment_id(response)
    detail = page(staff, f"/shipments/{made['Britain']}")
    assert "draft" in detail.h1.text and "£3,750.00" in detail.text
    assert world.stock("WH") == 1000  # drafts move nothing

    for shipment_id in made.values():
        response = send(staff, f"/shipments/{shipment_id}", action="dispatch", follow=True)
        assert "dispatched" in response.get_data(as_text=True)
    assert world.stock("WH") == 400
    assert (world.stock("GB-TRANSIT"), world.stock("SE-TRANSIT")) == (300, 200)

    slip = page(staff, f"/shipments/{made['Sweden']}/packing-slip")
    assert "Delivery note" in slip.text and "SEK32,000.00" in slip.text
    assert slip.find("link", rel="stylesheet")["href"].endswith("print.css")
    assert "Received in good order by" in slip.text

    # Britain's treasurer receives, with damaged and missing copies.
    soup = page(gb, f"/shipments/{made['Britain']}/receive")

    line_id = soup.find("input", attrs={"name": "lines-0-line_id"})["value"]
    response = send(
        gb,
        f"/shipments/{made['Britain']}/receive",
        {
            "lines-0-line_id": line_id,
            "lines-0-received": 290,
            "lines-0-damaged": 6,
            "lines-0-missing": 4,
            "lines-0-reason": "damaged_in_transit",
            "lines-0-note": "two boxes wet",
        },
    )
    assert response.status_code == 302
    assert world.stock("GB-STORE") == 290 and world.stock("GB-WRITTEN-OFF") == 10
    assert world.stock("GB-TRANSIT") == 0
    detail = page(gb, f"/shipments/{made['Britain']}")
    assert "received" in detail.h1.text and "two boxes wet" in detail.text

    # A transfer to an event table and back.
    response = send(
        gb,
        "/transfers/new",
        {"from_location_id": _loc(session, "GB-STORE"), "to_location_id": _loc(session, "GB-EV")},
        lines={(world.edition.id, "unsigned"): {"qty": 60}},
    )
    assert response.status_code == 302, errors(response)
    send(
        gb,
        "/transfers/new",
        {"from_location_id": _loc(session, "GB-EV"), "to_location_id": _loc(session, "GB-STORE")},
        lines={(world.edition.id, "unsigned"): {"qty": 45}},
    )
    assert world.stock("GB-EV") == 15 and world.stock("GB-STORE") == 275

    # A stocktake with a difference.
    url = f"/stocktakes/new?location_id={_loc(session, 'GB-STORE')}"
    counting = page(gb, url)
    assert "275" in counting.find("table", id="lines").text  # the ledger's figure, not blind
    response = send(
        gb,
        url,
        {"reason": "a box found behind the shelf"},
        lines={(world.edition.id, "unsigned"): {"counted": 280}},
    )
    assert response.status_code == 302, errors(response)
    report = page(gb, response.headers["Location"])
    assert "+5" in report.find("table", id="report").text
    assert world.stock("GB-STORE") == 280

    assert ledger.check(session) == []


def test_a_blind_count_hides_the_ledger(scene, session):
    world, gb = scene["world"], scene["gb"]
    world.stocked(12)
    session.commit()
    blind = page(gb, f"/stocktakes/new?location_id={_loc(session, 'GB-STORE')}&blind=y")
    assert "The ledger says" not in blind.text and "blind count" in blind.text
    response = send(
        gb,
        f"/stocktakes/new?location_id={_loc(session, 'GB-STORE')}&blind=y",
        {"reason": "short"},
        lines={(world.edition.id, "unsigned"): {"counted": 11}},
    )
    report = page(gb, response.headers["Location"])
    assert "blind count" in report.text and "-1" in report.find("table", id="report").text


@pytest.mark.parametrize(
    ("qty", "message"),
    [
        ("0", "From 1 to 1,000,000 copies, please."),
        ("-5", "From 1 to 1,000,000 copies, please."),
        ("ten", "'ten' is not a whole number."),
        ("2.5", "'2.5' is not a whole number."),
        ("1000001", "From 1 to 1,000,000 copies, please."),
    ],
)
def test_quantities_get_field_errors(scene, session, qty, message):
    world, staff = scene["world"], scene["staff"]
    before = snapshot(session)
    for response in (
        _deliver(staff, world, qty),
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": qty, "unit_price": "1"}},
        ),
        send(
            staff,
            "/transfers/new",
            {
                "from_location_id": _loc(session, "GB-STORE"),
                "to_location_id": _loc(session, "GB-EV"),
            },
            lines={(world.edition.id, "unsigned"): {"qty": qty}},
        ),
        send(
            staff,
            "/write-offs/new",
            {"location_id": _loc(session, "GB-STORE"), "reason": "gift"},
            lines={(world.edition.id, "unsigned"): {"qty": qty}},
        ),
    ):
        assert response.status_code == 422
        assert message in errors(response)
    assert snapshot(session) == before


def test_refusals_show_their_reason_and_keep_the_form(scene, session):
    world, staff = scene["world"], scene["staff"]
    response = send(
        staff,
        "/shipments/new",
        {"section_id": _section(session, "Britain")},
        lines={(world.edition.id, None): {"qty": 5}},
    )
    assert response.status_code == 422 and "Give the price per copy." in errors(response)
    response = send(staff, "/shipments/new", {"section_id": _section(session, "Britain")})
    assert response.status_code == 422
    assert "A shipment needs at least one line" in response.get_data(as_text=True)
    response = send(
        staff,
        "/transfers/new",
        {"from_location_id": _loc(session, "GB-STORE"), "to_location_id": _loc(session, "GB-EV")},
        lines={(world.edition.id, "unsigned"): {"qty": 3}},
    )
    assert response.status_code == 422
    assert "0 copies there, 3 asked" in response.get_data(as_text=True)
    # What was typed is still there.
    soup = page(staff, "/transfers/new")
    assert soup.find("form")


def test_dispatch_short_of_stock_says_how_many_there_are(scene, session):
    world, staff = scene["world"], scene["staff"]
    _deliver(staff, world, 10)
    shipment_id = _shipment_id(
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 25, "unit_price": "1"}},
        )
    )
    response = send(staff, f"/shipments/{shipment_id}", action="dispatch", follow=True)
    body = response.get_data(as_text=True)
    assert "Not enough stock at Warehouse (WH)" in body and "10 copies there, 25 asked" in body
    assert world.stock("WH") == 10
    assert session.get(Shipment, shipment_id).status == "draft"


def test_wrong_state_actions_are_refused_with_a_message(scene, session):
    world, staff = scene["world"], scene["staff"]
    _deliver(staff, world, 50)
    shipment_id = _shipment_id(
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 5, "unit_price": "1"}},
        )
    )
    detail = page(staff, f"/shipments/{shipment_id}")
    token = detail.find("input", attrs={"name": "csrf_token"})["value"]
    staff.post(f"/shipments/{shipment_id}/dispatch", data={"csrf_token": token})
    before = snapshot(session)
    for action, message in (("dispatch", "can be dispatched"), ("cancel", "can be cancelled")):
        response = staff.post(
            f"/shipments/{shipment_id}/{action}", data={"csrf_token": token}, follow_redirects=True
        )
        assert (
            f"Shipment #{shipment_id} is dispatched: only a shipment that is draft "
            f"{message}." in response.get_data(as_text=True)
        )
    response = staff.get(f"/shipments/{shipment_id}/edit", follow_redirects=True)
    assert "can be edited" in response.get_data(as_text=True)
    assert snapshot(session) == before


def _page_forms(soup) -> list:
    """The page's own forms (not the language switch every page has)."""
    return [f for f in soup.find_all("form") if "language-switch" not in (f.get("class") or [])]


def test_a_form_sent_twice_lands_on_the_first_document(scene, session):
    world, staff = scene["world"], scene["staff"]
    soup = page(staff, "/print-runs/new")
    form = _page_forms(soup)[-1]
    from tests.web.forms import form_values

    data = {
        **form_values(form),
        "edition_id": str(world.edition.id),
        "qty": "40",
        "reference": "Run 9",
    }
    first = staff.post("/print-runs/new", data=data)
    second = staff.post("/print-runs/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    follow = page(staff, second.headers["Location"])
    assert "already sent" in follow.text
    assert world.stock("WH") == 40
    assert (
        session.scalar(
            select(func.count()).select_from(Document).where(Document.kind == "print_run")
        )
        == 1
    )

    # The same for a receipt: a double click on "Record receipt".
    shipment_id = _shipment_id(
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 10, "unit_price": "1"}},
        )
    )
    send(staff, f"/shipments/{shipment_id}", action="dispatch")
    soup = page(staff, f"/shipments/{shipment_id}/receive")
    data = {**form_values(_page_forms(soup)[-1]), "lines-0-received": "4"}
    staff.post(f"/shipments/{shipment_id}/receive", data=data)
    again = staff.post(f"/shipments/{shipment_id}/receive", data=data)
    assert again.status_code == 302
    assert world.stock("GB-STORE") == 4


def test_treasurers_act_only_for_their_section(scene, session):
    world, staff, gb, se = scene["world"], scene["staff"], scene["gb"], scene["se"]
    _deliver(staff, world, 50)
    shipment_id = _shipment_id(
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 5, "unit_price": "1"}},
        )
    )
    send(staff, f"/shipments/{shipment_id}", action="dispatch")
    before = snapshot(session)
    assert se.get(f"/shipments/{shipment_id}").status_code == 404
    assert se.get(f"/shipments/{shipment_id}/receive").status_code == 404
    token = page(se, "/shipments/").find("meta", attrs={"name": "csrf-token"})["content"]
    assert (
        se.post(
            f"/shipments/{shipment_id}/receive",
            data={"csrf_token": token, "lines-0-line_id": "1", "lines-0-received": "5"},
        ).status_code
        == 404
    )
    assert f"#{shipment_id}" not in page(se, "/shipments/").text
    response = send(
        se,
        "/transfers/new",
        {
            "from_location_id": _loc(session, "GB-STORE"),
            "to_location_id": _loc(session, "SE-STORE"),
        },
        lines={(world.edition.id, "unsigned"): {"qty": 1}},
    )
    assert response.status_code == 422 and "Not a valid choice." in errors(response)
    assert se.get(f"/stocktakes/new?location_id={_loc(session, 'GB-STORE')}").status_code == 404
    assert snapshot(session) == before
    # Sweden's treasurer cannot send Britain's copies back either.
    response = send(
        se,
        "/shipments/new-return",
        {"section_id": _section(session, "Britain")},
        lines={(world.edition.id, None): {"qty": 1, "unit_price": "1"}},
    )
    assert response.status_code == 422 and "Not a valid choice." in errors(response)
    assert gb.get(f"/shipments/{shipment_id}").status_code == 200


def test_a_return_through_the_pages(scene, session):
    world, staff, gb = scene["world"], scene["staff"], scene["gb"]
    _deliver(staff, world, 50)
    shipment_id = _shipment_id(
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain"), "terms": "sale_or_return"},
            lines={(world.edition.id, None): {"qty": 20, "unit_price": "9"}},
        )
    )
    send(staff, f"/shipments/{shipment_id}", action="dispatch")
    send(gb, f"/shipments/{shipment_id}/receive")
    assert world.stock("GB-STORE") == 20
    back = _shipment_id(
        send(
            gb,
            "/shipments/new-return",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 8, "unit_price": "9"}},
        )
    )
    send(gb, f"/shipments/{back}", action="dispatch")
    assert world.stock("GB-STORE") == 12 and world.stock("WH-TRANSIT") == 8
    assert "Receive" not in page(gb, f"/shipments/{back}").find(class_="page-actions").text
    send(staff, f"/shipments/{back}/receive")
    assert world.stock("WH") == 38
    assert session.get(Shipment, back).status == "received"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_lists_filter_and_export(scene, session):
    world, staff, gb, coordinator = (
        scene["world"],
        scene["staff"],
        scene["gb"],
        scene["coordinator"],
    )
    _deliver(staff, world, 100)
    for name in ("Britain", "Sweden"):
        shipment_id = _shipment_id(
            send(
                staff,
                "/shipments/new",
                {
                    "section_id": _section(session, name),
                    "note": '=HYPERLINK("http://evil")',
                    "carrier": "=cmd|' /C calc'!A0",
                },
                lines={(world.edition.id, None): {"qty": 10, "unit_price": "1"}},
            )
        )
    send(staff, f"/shipments/{shipment_id}", action="dispatch")  # Sweden's goes
    rows = _csv(coordinator.get("/shipments/?format=csv"))
    assert rows[0][:3] == ["shipment", "direction", "status"] and len(rows) == 3
    assert {r[3] for r in rows[1:]} == {"Britain", "Sweden"}
    assert all(r[11].startswith("'=") for r in rows[1:])  # the carrier, made harmless
    dispatched = _csv(coordinator.get("/shipments/?format=csv&status=dispatched"))
    assert [r[3] for r in dispatched[1:]] == ["Sweden"]
    mine = _csv(gb.get("/shipments/?format=csv"))
    assert [r[3] for r in mine[1:]] == ["Britain"]
    listing = page(coordinator, "/shipments/?country=SE")
    (row,) = listing.find("table", id="shipments").tbody.find_all("tr")
    assert "Sweden" in row.text

    for url in (
        "/transfers?format=csv",
        "/write-offs?format=csv",
        "/stocktakes?format=csv",
        "/print-runs?format=csv",
    ):
        assert _csv(coordinator.get(url))[0]
    print_runs = _csv(coordinator.get("/print-runs?format=csv"))
    assert print_runs[1][4] == "100" and print_runs[1][5] == "Run 1 (invoice 17)"


def test_coordinators_read_but_change_nothing(scene, session):
    world, staff, coordinator = scene["world"], scene["staff"], scene["coordinator"]
    _deliver(staff, world, 10)
    for url in ("/shipments/new", "/transfers/new", "/write-offs/new", "/print-runs/new"):
        assert coordinator.get(url).status_code == 403
    assert coordinator.get("/print-runs").status_code == 200
    assert "Start counting" not in page(coordinator, "/stocktakes").text


def test_a_receipt_cannot_be_dated_before_the_dispatch(scene, session):
    world, staff, gb = scene["world"], scene["staff"], scene["gb"]
    _deliver(staff, world, 50)
    shipment_id = _shipment_id(
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 20, "unit_price": "9"}},
        )
    )
    send(staff, f"/shipments/{shipment_id}", action="dispatch")
    before = snapshot(session)
    response = send(gb, f"/shipments/{shipment_id}/receive", {"received_on": "2024-03-01"})
    assert response.status_code == 422
    dispatched = session.get(Shipment, shipment_id).dispatched_at
    assert (
        f"Shipment #{shipment_id} was dispatched on {dispatched:%d %b %Y}: it cannot have been "
        "received before that, on 01 Mar 2024." in errors(response)
    )
    assert snapshot(session) == before
    # Received on the day it left: dated at the dispatch, never before it.
    today = dispatched.date().isoformat()
    response = send(gb, f"/shipments/{shipment_id}/receive", {"received_on": today})
    assert response.status_code == 302
    shipment = session.get(Shipment, shipment_id)
    session.refresh(shipment)
    assert shipment.received_at >= shipment.dispatched_at


def test_a_cancelled_draft_is_not_in_transit_in_the_export(scene, session):
    world, staff, coordinator = scene["world"], scene["staff"], scene["coordinator"]
    _deliver(staff, world, 500)
    shipment_id = _shipment_id(
        send(
            staff,
            "/shipments/new",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 201, "unit_price": "9"}},
        )
    )
    send(staff, f"/shipments/{shipment_id}", action="cancel")
    rows = _csv(coordinator.get("/shipments/?format=csv"))
    header, (row,) = rows[0], rows[1:]
    assert row[header.index("status")] == "cancelled"
    assert row[header.index("still in transit")] == "0"
    detail = page(coordinator, f"/shipments/{shipment_id}")
    assert "201" in detail.find("table").text  # the copies it would have carried
    in_transit = [td.get_text(strip=True) for td in detail.find("table").select("tbody td")]
    assert in_transit[-1] == "0"


def test_a_return_goes_back_at_the_price_the_copies_came_at(scene, session):
    """A treasurer sending sale-or-return copies back types only how many: each line
    takes the price the section received those copies at."""
    world, staff, gb = scene["world"], scene["staff"], scene["gb"]
    _deliver(staff, world, 100)
    for qty, price in ((20, "9.00"), (10, "12.00")):
        shipment_id = _shipment_id(
            send(
                staff,
                "/shipments/new",
                {"section_id": _section(session, "Britain"), "terms": "sale_or_return"},
                lines={(world.edition.id, None): {"qty": qty, "unit_price": price}},
            )
        )
        send(staff, f"/shipments/{shipment_id}", action="dispatch")
        send(gb, f"/shipments/{shipment_id}/receive")
    back = _shipment_id(
        send(
            gb,
            "/shipments/new-return",
            {"section_id": _section(session, "Britain")},
            lines={(world.edition.id, None): {"qty": 6}},
        )
    )
    (line,) = session.get(Shipment, back).lines
    assert (line.qty, line.unit_price_minor) == (6, 1000)  # (20 x 9 + 10 x 12) / 30
    # An outbound shipment still needs its price.
    response = send(
        staff,
        "/shipments/new",
        {"section_id": _section(session, "Britain")},
        lines={(world.edition.id, None): {"qty": 6}},
    )
    assert response.status_code == 422 and "Give the price per copy." in errors(response)
