"""An event from the first transfer to closing, through the pages; the statement it
leaves; the sale form sent twice; money pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from tests.factories import World, snapshot
from tests.web.forms import errors, form_values, page, send
from tracker import ledger
from tracker.domain.accounts import Role
from tracker.models import Author, Location, Sale
from tracker.services import receipts as receipts_service
from tracker.services import shipments


@pytest.fixture
def britain(world: World, session, login):
    """Britain received 100 copies on firm sale at £10; its treasurer is logged in."""
    world.printed(500)
    gb = world.loc("GB-STORE").section_id
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        lines=[shipments.LineInput(world.edition.id, 100, "10.00")],
    )
    shipments.dispatch(session, None, shipment.id)
    receipts_service.receive(
        session,
        None,
        shipment.id,
        [receipts_service.ReceiptInput(shipment.lines[0].id, received=100)],
    )
    session.commit()
    return {
        "world": world,
        "gb": gb,
        "treasurer": login(Role.TREASURER, "GB"),
        "staff": login(Role.DISTRIBUTOR),
    }


def _event_id(response) -> int:
    assert response.status_code == 302, errors(response)
    return int(re.search(r"/events/(\d+)$", response.headers["Location"]).group(1))


def _sell(client, url: str, item: str, qty: int = 1, payment: str = "cash", **extra):
    return send(
        client,
        url,
        {"item": item, "qty": qty, "payment": payment, **extra},
        selector="form.sale-form",
    )


def _tally(response) -> str:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return soup.find(id="tally-line").get_text(" ", strip=True)


def test_an_event_from_first_transfer_to_closing(britain, session):
    world, gb, t = britain["world"], britain["gb"], britain["treasurer"]
    event_id = _event_id(
        send(
            t,
            "/events/new",
            {
                "section_id": gb,
                "name": "London launch",
                "kind": "launch",
                "city": "London",
                "starts_on": date.today().isoformat(),
                "expected_attendance": "150",
            },
        )
    )
    event_page = page(t, f"/events/{event_id}")
    assert "Nothing on the table" in event_page.text
    table = re.search(r"to=(\d+)", event_page.find("a", string="Bring copies")["href"]).group(1)
    response = send(
        t,
        event_page.find("a", string="Bring copies")["href"],
        lines={(world.edition.id, "unsigned"): {"qty": 40}},
    )
    assert response.status_code == 302, errors(response)
    assert world.stock("GB-STORE") == 60

    sell = f"/events/{event_id}/sell"
    item = f"{world.edition.id}:unsigned"
    response = _sell(t, sell, item, 3)
    assert response.status_code == 200
    assert (
        "Sold 3 × In Defence of Lenin (English paperback) for £75.00, cash."
        in response.get_data(as_text=True)
    )
    assert _tally(response) == "3 copies sold · £75.00 taken"
    response = _sell(t, sell, item, 2, "card", price="20.00", buyer="Sam")  # solidarity price
    assert _tally(response) == "5 copies sold · £115.00 taken"

    # A signing of ten copies, with two dedications; then a signed copy sold.
    authors = session.scalars(select(Author.id).order_by(Author.name)).all()
    response = send(
        t,
        f"/events/{event_id}/signing",
        {
            "edition_id": world.edition.id,
            "authors": str(authors[0]),
            "qty": 10,
            "dedications": "Ahmed\nGreta",
        },
    )
    assert response.status_code == 302, errors(response)
    response = _sell(t, sell, f"{world.edition.id}:signed", 1, "card")
    assert "(signed)" in response.get_data(as_text=True)

    # A sale voided with a reason.
    wrong = _sell(t, sell, item, 4, "cash")
    assert _tally(wrong) == "10 copies sold · £240.00 taken"
    sale_id = session.scalar(select(func.max(Sale.document_id)))
    response = send(t, f"/sales/{sale_id}/void", {"reason": "typed 4 for 1"})
    assert response.status_code == 302
    assert _tally(t.get(sell)) == "6 copies sold · £140.00 taken"

    # Closing brings the leftovers back to the store.
    response = send(t, f"/events/{event_id}/close", action="/close", follow=True)
    assert "is closed: the leftovers are back in the store." in response.get_data(as_text=True)
    assert world.stock("GB-STORE") == 60 + 25 and world.stock("GB-STORE", condition="signed") == 9
    table_code = session.get(Location, int(table)).code
    assert world.stock(table_code) == 0 and world.stock(table_code, condition="signed") == 0
    closed = page(t, sell)
    assert "London launch is closed" in closed.text and not closed.select("form.sale-form")

    report = page(t, f"/events/{event_id}/report")
    copies = report.find("table", id="copies").get_text(" ", strip=True)
    for expected in (
        "Brought to the table 40",
        "Sold, unsigned 5",
        "Sold, signed 1",
        "Signed 10",
        "Returned to the store 34",
    ):
        assert expected in copies
    takings = report.find("table", id="takings").get_text(" ", strip=True)
    assert "Cash £75.00" in takings and "Card £65.00" in takings
    assert "(2 sales" not in takings and "1 voided" in takings
    attendance = report.find("table", id="attendance").get_text(" ", strip=True)
    assert "150" in attendance and "0.04" in attendance

    # A remittance, confirmed by distribution staff; then the statement.
    response = send(
        t, "/remittances/new", {"amount": "500", "currency": "GBP", "reference": "Transfer 1"}
    )
    assert response.status_code == 302, errors(response)
    staff = britain["staff"]
    assert send(staff, "/remittances", action="/confirm").status_code == 302
    statement = page(t, f"/sections/{gb}/statement")
    totals = statement.find("section", class_="totals").get_text(" ", strip=True)
    assert "£1,000.00 owed to the publisher" in totals  # 100 firm-sale copies at £10
    assert "£500.00 remitted (confirmed)" in totals and "£500.00 outstanding" in totals
    assert "£140.00 takings from readers" in totals
    row = statement.find("table", id="copies").tbody.find("tr").get_text(" ", strip=True)
    assert row.split()[-9:] == ["100", "0", "0", "6", "85", "9", "10", "0", "£1,000.00"]
    assert ledger.check(session) == []


def test_a_sale_sent_twice_records_one_sale(britain, session):
    world, t = britain["world"], britain["treasurer"]
    sell = f"/sections/{britain['gb']}/sell"
    soup = page(t, sell)
    data = {**form_values(soup.find("main").find("form")), "qty": "2", "payment": "cash"}
    first = t.post(sell, data=data)
    second = t.post(sell, data=data)
    assert first.status_code == second.status_code == 200
    assert "That sale was already recorded" in second.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Sale)) == 1
    assert world.stock("GB-STORE") == 98
    # The page after a sale carries a new key: the next sale is a new one.
    assert (
        form_values(
            BeautifulSoup(first.get_data(as_text=True), "html.parser").find("main").find("form")
        )["submission_key"]
        != data["submission_key"]
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"qty": "0"}, "From 1 to 1,000,000 copies, please."),
        ({"qty": "many"}, "'many' is not a whole number."),
        ({"price": "-5"}, "The price cannot be negative."),
        ({"price": "abc"}, "'abc' is not an amount of money."),
        ({"qty": "101"}, "100 copies there, 101 asked"),
        ({"item": "999:unsigned"}, "Not a valid choice."),
    ],
)
def test_the_sale_screen_refuses_bad_input(britain, session, values, message):
    world, t = britain["world"], britain["treasurer"]
    before = snapshot(session)
    response = send(
        t,
        f"/sections/{britain['gb']}/sell",
        {"item": f"{world.edition.id}:unsigned", "qty": "1", "payment": "cash", **values},
        selector="form.sale-form",
    )
    assert response.status_code == 422
    text = BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")
    assert message in text

    assert snapshot(session) == before


def test_undo_the_last_sale_from_the_screen(britain, session):
    world, t = britain["world"], britain["treasurer"]
    sell = f"/sections/{britain['gb']}/sell"
    _sell(t, sell, f"{world.edition.id}:unsigned", 1)
    _sell(t, sell, f"{world.edition.id}:unsigned", 2)
    response = send(t, sell, action="/undo", follow=True)
    assert "undone: £50.00, 2 copies back." in response.get_data(as_text=True)
    assert _tally(response) == "1 copy sold · £25.00 taken"
    assert world.stock("GB-STORE") == 99


def test_prices_and_exports(britain, session, login):
    world, gb, t = britain["world"], britain["gb"], britain["treasurer"]
    soup = page(t, f"/sections/{gb}/prices")
    index = next(
        int(i["name"].split("-")[1])
        for i in soup.find_all("input")
        if i.get("value") == str(world.edition.id)
    )
    response = send(t, f"/sections/{gb}/prices", {f"lines-{index}-price": "18.50"})
    assert response.status_code == 302
    assert "£18.50" in page(t, f"/sections/{gb}/sell").text
    response = send(t, f"/sections/{gb}/prices", {f"lines-{index}-price": "-1"})
    assert response.status_code == 422 and "cannot be negative" in response.get_data(as_text=True)
    _sell(t, f"/sections/{gb}/sell", f"{world.edition.id}:unsigned", 2)
    rows = list(
        csv.reader(
            io.StringIO(
                t.get(f"/sections/{gb}/statement?format=csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert ["takings", "cash", "37.00", "GBP"] in rows
    assert ["outstanding", "total", "1000.00", "GBP"] in rows
    coordinator = login(Role.COORDINATOR)
    balances = list(
        csv.reader(
            io.StringIO(
                coordinator.get("/balances?format=csv").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    assert balances[0][-1] == "outstanding in GBP"
    assert ["Britain", "GBP", "1000.00", "0.00", "1", "", "1000.00"] in balances


def test_rates_are_entered_by_admins(britain, login):
    admin, coordinator = login(Role.ADMIN), login(Role.COORDINATOR)
    response = send(admin, "/exchange-rates", {"currency": "sek", "rate": "0.0745"})
    assert response.status_code == 302
    rates = page(coordinator, "/exchange-rates").find("table", id="rates").get_text(" ", strip=True)
    assert "SEK" in rates and "0.0745" in rates
    assert "1 SEK = 0.0745 GBP" in page(coordinator, "/balances").text
    assert "Enter a rate" not in page(coordinator, "/exchange-rates").text
    response = send(admin, "/exchange-rates", {"currency": "SEK", "rate": "-2"})
    assert response.status_code == 422 and "A rate is a number above zero." in errors(response)


def test_a_treasurer_cannot_touch_another_sections_events(britain, session, login):
    gb, t = britain["gb"], britain["treasurer"]
    event_id = _event_id(
        send(
            t,
            "/events/new",
            {
                "section_id": gb,
                "name": "Stall",
                "kind": "bookstall",
                "starts_on": date.today().isoformat(),
            },
        )
    )
    swede = login(Role.TREASURER, "SE")
    before = snapshot(session)
    for url in (
        f"/events/{event_id}",
        f"/events/{event_id}/close",
        f"/events/{event_id}/sell",
        f"/events/{event_id}/report",
        f"/sections/{gb}/statement",
        f"/sections/{gb}/sell",
        f"/sections/{gb}/prices",
    ):
        assert swede.get(url).status_code == 404, url
    token = page(swede, "/events").find("meta", attrs={"name": "csrf-token"})["content"]
    for url in (f"/events/{event_id}/close", f"/events/{event_id}/sell", f"/sections/{gb}/undo"):
        assert (
            swede.post(
                url, data={"csrf_token": token, "item": "1:unsigned", "qty": "1", "payment": "cash"}
            ).status_code
            == 404
        ), url
    assert snapshot(session) == before
    assert "Stall" not in page(swede, "/events").text


def test_the_event_form_sent_twice_makes_one_event(britain, session):
    t = britain["treasurer"]
    soup = page(t, "/events/new")
    form = soup.find("main").find("form", method="post")
    values = {
        **form_values(form),
        "section_id": britain["gb"],
        "name": "Marxist Fair",
        "kind": "festival",
        "starts_on": "2026-11-28",
    }
    first = t.post("/events/new", data=values)
    again = t.post("/events/new", data=values)
    assert _event_id(first) == _event_id(again)
    assert "already sent" in page(t, again.headers["Location"]).text
    from tracker.models import Event

    assert session.scalar(select(func.count()).select_from(Event)) == 1
    tables = select(func.count()).select_from(Location).where(Location.kind == "event_table")
    assert session.scalar(tables) == 2  # the world's own GB-EV, and this event's


def test_undo_twice_undoes_one_sale(britain, session):
    """The same Undo sent twice (a double tap, a resend) names the same sale: the second
    says it was already undone, and every other sale stands."""
    world, t = britain["world"], britain["treasurer"]
    sell = f"/sections/{britain['gb']}/sell"
    _sell(t, sell, f"{world.edition.id}:unsigned", 1)
    _sell(t, sell, f"{world.edition.id}:unsigned", 2)
    soup = page(t, sell)
    undo = soup.find("form", class_="undo-form")
    values = form_values(undo)
    assert values["sale_id"]
    first = t.post(undo["action"], data=values, follow_redirects=True)
    second = t.post(undo["action"], data=values, follow_redirects=True)
    assert "undone: £50.00, 2 copies back." in first.get_data(as_text=True)
    assert f"Sale #{values['sale_id']} was already undone." in second.get_data(as_text=True)
    voided = session.scalar(
        select(func.count()).select_from(Sale).where(Sale.voided_at.is_not(None))
    )
    assert voided == 1
    assert world.stock("GB-STORE") == 99
    # Without the sale it names, Undo does nothing.
    response = t.post(
        undo["action"], data={"csrf_token": values["csrf_token"]}, follow_redirects=True
    )
    assert "Say which sale to undo" in response.get_data(as_text=True)
    assert world.stock("GB-STORE") == 99


def test_a_sale_voided_after_its_event_closed_goes_back_to_the_store(britain, session):
    """The copies of a sale voided once the event is closed go where its leftovers went:
    the store, where they can be sold and moved again."""
    world, t = britain["world"], britain["treasurer"]
    event_id = _event_id(
        send(
            t,
            "/events/new",
            {
                "section_id": britain["gb"],
                "name": "Launch",
                "kind": "launch",
                "starts_on": "2026-11-20",
            },
        )
    )
    table = session.scalar(select(Location).where(Location.name == "Launch"))
    send(
        t,
        f"/transfers/new?from={world.loc('GB-STORE').id}&to={table.id}",
        lines={(world.edition.id, "unsigned"): {"qty": 10}},
    )
    _sell(t, f"/events/{event_id}/sell", f"{world.edition.id}:unsigned", 3)
    send(t, f"/events/{event_id}/close", action="/close")
    assert world.stock("GB-STORE") == 97 and world.stock(table.code) == 0
    sale = session.scalar(select(Sale).where(Sale.event_id == event_id))
    response = send(t, f"/sales/{sale.id}/void", {"reason": "paid twice"}, follow=True)
    assert f"Sale #{sale.id} voided: the copies are back in Britain store." in response.get_data(
        as_text=True
    )
    assert world.stock("GB-STORE") == 100 and world.stock(table.code) == 0
    assert world.stock("GB-CUSTOMERS") == 0
    assert ledger.check(session) == []
    # They can be sold from the store again.
    _sell(t, f"/sections/{britain['gb']}/sell", f"{world.edition.id}:unsigned", 100)
    assert world.stock("GB-STORE") == 0
