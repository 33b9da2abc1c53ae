"""Paper tallies through the pages: typed in from an event's page or a store's, shown on
the event's report and the section's statement, voided from the tally's page; every
spoiled field refused with a message next to it, and nothing written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.factories import STOCKED_AT, World, snapshot
from tests.web.forms import errors, form_values, page, send
from tracker import ledger
from tracker.domain.accounts import Role
from tracker.models import Author, Event, Sale, Signing, Tally
from tracker.services import events, receipts, shipments
from tracker.services.events import EventDetails
from tracker.services.movements import Copies, transfer


def ago(days: int) -> date:
    return date.today() - timedelta(days=days)


@pytest.fixture
def launch(world: World, session, login) -> dict:
    """Britain received 100 copies on sale or return (£10 each) twenty days ago; its
    launch got 30 of them ten days ago. Its treasurer is logged in."""
    world.post("print_run", 500, "PRINTER", "WH", at=STOCKED_AT)
    gb = world.loc("GB-STORE").section_id
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        terms="sale_or_return",
        lines=[shipments.LineInput(world.edition.id, 100, "10.00")],
    )
    shipments.dispatch(session, None, shipment.id, when=ago(20))
    receipts.receive(
        session,
        None,
        shipment.id,
        [receipts.ReceiptInput(shipment.lines[0].id, received=100)],
        when=ago(20),
    )
    event = events.create_event(
        session, None, gb, EventDetails(name="London launch", kind="launch", starts_on=ago(10))
    )
    transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=event.location_id,
        lines=[Copies(world.edition.id, 30)],
        when=ago(10),
    )
    session.commit()
    return {"world": world, "gb": gb, "event": event, "treasurer": login(Role.TREASURER, "GB")}


def _lines(world: World, *rows: tuple) -> dict[str, str]:
    """Form values for the tally's lines: (copies, payment, condition, price) each."""
    values = {}
    for i, (qty, payment, condition, price) in enumerate(rows):
        values.update(
            {
                f"lines-{i}-edition_id": str(world.edition.id),
                f"lines-{i}-qty": str(qty),
                f"lines-{i}-payment": payment,
                f"lines-{i}-condition": condition,
                f"lines-{i}-price": price,
            }
        )
    return values


def _send_tally(client, url: str, values: dict, day: date | None = None, **kw):
    when = day or ago(5)
    return send(client, url, {"day": when.isoformat(), **values}, **kw)


def _cash(world: World, copies: int) -> dict[str, str]:
    return _lines(world, (copies, "cash", "unsigned", ""))


def _text(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ", strip=True)


def test_a_tally_from_the_event_page_lands_on_its_report(launch, session):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    detail = page(t, f"/events/{event.id}")
    url = detail.find("a", string="Type in a paper tally")["href"]
    assert url == f"/events/{event.id}/tally"
    response = _send_tally(
        t,
        url,
        {
            **_lines(world, (3, "cash", "unsigned", ""), (2, "card", "unsigned", "15.00")),
            "note": "The launch's sheet",
        },
    )
    assert response.status_code == 302, errors(response)
    assert response.headers["Location"].endswith(f"/events/{event.id}/report")
    report = t.get(response.headers["Location"])
    text = _text(report)
    assert "Paper tally #" in text and "2 sales, 5 copies" in text
    assert text.count("paper tally #") == 2
    soup = BeautifulSoup(report.get_data(as_text=True), "html.parser")
    takings = soup.find(id="takings").get_text(" ", strip=True)
    assert "Cash £75.00" in takings and "Card £30.00" in takings
    tally = session.scalars(select(Tally)).one()
    sales = session.scalars(select(Sale).where(Sale.tally_id == tally.id)).all()
    assert {s.payment_method for s in sales} == {"cash", "card"}
    assert all(s.sold_at.date() == ago(5) for s in sales)
    statement = _text(t.get(f"/sections/{launch['gb']}/statement"))
    assert "£105.00" in statement
    assert f"{ago(5):%d %b %Y} 5 × In Defence of Lenin" in statement
    assert ledger.check(session) == []

    # The tally's page: its sales, its moves; voided from there.
    tally_page = page(t, f"/tallies/{tally.id}")
    assert len(tally_page.find(id="sales").find("tbody").find_all("tr")) == 2
    assert len(tally_page.find(id="moves").find("tbody").find_all("tr")) == 2
    response = send(t, f"/tallies/{tally.id}", {"reason": ""}, action="/void")
    assert response.status_code == 422 and "Say why." in errors(response)
    response = send(t, f"/tallies/{tally.id}", {"reason": "typed in twice"}, action="/void")
    assert response.status_code == 302, errors(response)
    session.expire_all()
    assert all(s.voided_at is not None for s in sales)
    assert world.stock(event.location.code) == 30
    assert "voided: typed in twice" in _text(t.get(f"/tallies/{tally.id}"))


def test_a_tally_after_the_event_closed(launch, session):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    events.close_event(session, None, event.id, when=ago(3))
    session.commit()
    response = _send_tally(t, f"/events/{event.id}/tally", _cash(world, 6))
    assert response.status_code == 302, errors(response)
    assert world.stock("GB-STORE") == 94 and world.stock(event.location.code) == 0
    report = BeautifulSoup(
        t.get(f"/events/{event.id}/report").get_data(as_text=True), "html.parser"
    )
    copies = report.find(id="copies").get_text(" ", strip=True)
    assert "Brought to the table 30" in copies and "Returned to the store 24" in copies
    assert "Sold, unsigned 6" in copies
    assert ledger.check(session) == []


def test_a_tally_selling_more_than_the_table_held_then_writes_nothing(launch, session):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    before = snapshot(session)
    response = _send_tally(
        t, f"/events/{event.id}/tally", _lines(world, (31, "cash", "unsigned", ""))
    )
    assert response.status_code == 422
    assert any("Only 30 unsigned copies of" in e for e in errors(response)), errors(response)
    assert snapshot(session) == before


def test_the_same_tally_sent_twice_makes_one(launch, session):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    form = page(t, f"/events/{event.id}/tally").find("main").find("form", method="post")
    data = {
        **form_values(form),
        "day": ago(5).isoformat(),
        **_lines(world, (2, "cash", "unsigned", "")),
    }
    first = t.post(f"/events/{event.id}/tally", data=data)
    assert first.status_code == 302, errors(first)
    again = t.post(f"/events/{event.id}/tally", data=data)
    tally = session.scalars(select(Tally)).one()
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/tallies/{tally.id}")
    assert len(session.scalars(select(Sale)).all()) == 1
    assert world.stock(event.location.code) == 28


def test_a_store_tally(launch, session):
    world, t = launch["world"], launch["treasurer"]
    store = world.loc("GB-STORE")
    link = page(t, f"/locations/{store.code}").find("a", string="Type in a paper tally")["href"]
    assert "store=" in link
    response = _send_tally(t, link, _lines(world, (4, "bank_transfer", "unsigned", "")), ago(1))
    assert response.status_code == 302, errors(response)
    tally = session.scalars(select(Tally)).one()
    assert response.headers["Location"].endswith(f"/tallies/{tally.id}")
    assert tally.location_id == store.id and tally.event_id is None
    assert world.stock("GB-STORE") == 66
    assert "Paper tally from the store" in _text(t.get("/events"))


def test_a_signing_tally_through_its_page(launch, session):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    authors = session.scalars(select(Author.id).order_by(Author.name)).all()
    url = page(t, f"/events/{event.id}").find("a", string="Signing tally")["href"]
    response = send(
        t,
        url,
        {"day": ago(5).isoformat(), "authors": str(authors[1])},
        lines={(world.edition.id, None): {"qty": 4}},
    )
    assert response.status_code == 302, errors(response)
    (signing,) = session.scalars(select(Signing)).all()
    assert signing.qty == 4 and signing.author_names == "Rob Sewell" and signing.tally_id
    assert world.stock(event.location.code, condition="signed") == 4
    report = _text(t.get(f"/events/{event.id}/report"))
    assert "Signed 4" in report
    assert "paper tally #" in _text(t.get(f"/events/{event.id}"))
    # Signings stand: the tally's page offers no void.
    tally_page = page(t, f"/tallies/{signing.tally_id}")
    assert tally_page.find(id="void") is None and tally_page.find(id="signings")


def test_another_sections_treasurer_finds_nothing(launch, session, login):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    response = _send_tally(t, f"/events/{event.id}/tally", _cash(world, 1))
    assert response.status_code == 302, errors(response)
    tally = session.scalars(select(Tally)).one()
    swede = login(Role.TREASURER, "SE")
    for url in (
        f"/events/{event.id}/tally",
        f"/events/{event.id}/signing-tally",
        f"/sections/{launch['gb']}/tally",
        f"/tallies/{tally.id}",
    ):
        assert swede.get(url).status_code == 404, url
    before = snapshot(session)
    token = BeautifulSoup(swede.get("/events").get_data(as_text=True), "html.parser")
    csrf = token.find("meta", attrs={"name": "csrf-token"})["content"]
    for url, data in (
        (f"/tallies/{tally.id}/void", {"reason": "not mine"}),
        (
            f"/events/{event.id}/tally",
            {"day": ago(5).isoformat(), **_cash(world, 1)},
        ),
    ):
        assert swede.post(url, data={**data, "csrf_token": csrf}).status_code == 404, url
    assert snapshot(session) == before
    # Roles that do not run sections' sales are not let in.
    assert login(Role.COORDINATOR).get(f"/tallies/{tally.id}").status_code == 403


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"day": "2024-13-45"}, "day", "Not a valid date value."),
        ({"day": ""}, "day", "Give the day, as the paper tally says."),
        ({"day": "2100-01-01"}, "day", "is too far ahead"),
        ({"day": "1899-12-31"}, "day", "is too long ago"),
        ({"time": "25:99"}, "time", "Not a valid time value."),
        ({"lines-0-qty": "abc"}, "lines-0-qty", "'abc' is not a whole number."),
        ({"lines-0-qty": "0"}, "lines-0-qty", "From 1 to 1,000,000 copies"),
        ({"lines-0-qty": "1000001"}, "lines-0-qty", "From 1 to 1,000,000 copies"),
        ({"lines-0-qty": ""}, "lines-0-qty", "Give the number of copies."),
        ({"lines-0-edition_id": ""}, "lines-0-edition_id", "Choose the edition."),
        ({"lines-0-edition_id": "999999"}, "lines-0-edition_id", "Not a valid choice."),
        ({"lines-0-edition_id": "x'--"}, "lines-0-edition_id", "Choose the edition."),
        ({"lines-0-payment": "bitcoin"}, "lines-0-payment", "Not a valid choice."),
        ({"lines-0-condition": "mint"}, "lines-0-condition", "Not a valid choice."),
        ({"lines-0-price": "1" * 30}, "lines-0-price", "Field cannot be longer than 20"),
        ({"lines-0-price": "a\x00"}, "lines-0-price", "control character"),
        ({"note": "a\x00b"}, "note", "control character"),
        ({"note": "x" * 2001}, "note", "Field cannot be longer than 2000"),
    ],
)
def test_spoiled_fields_are_named_and_write_nothing(launch, session, values, field, message):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    before = snapshot(session)
    response = _send_tally(t, f"/events/{event.id}/tally", {**_cash(world, 1), **values})
    assert response.status_code == 422
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    spoiled = soup.find(attrs={"name": field})
    assert spoiled is not None and spoiled.get("aria-invalid") == "true", field
    assert any(message in e for e in errors(response)), errors(response)
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"lines-0-price": "abc"}, "Line 1: 'abc' is not an amount of money"),
        ({"lines-0-price": "-2"}, "Line 1: The price cannot be negative."),
        ({"day": (date.today() + timedelta(days=1)).isoformat()}, "is in the future"),
        ({"lines-0-qty": ""}, ""),
    ],
)
def test_what_the_service_refuses_is_said_on_top(launch, session, values, message):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    before = snapshot(session)
    lines = {} if not message else _cash(world, 1)
    response = _send_tally(t, f"/events/{event.id}/tally", {**lines, **values})
    assert response.status_code == 422
    expected = message or "The tally has no lines"
    assert any(expected in e for e in errors(response)), errors(response)
    assert snapshot(session) == before


def test_a_tally_of_too_many_lines_is_refused_before_it_is_read(launch, session):
    event, t = launch["event"], launch["treasurer"]
    before = snapshot(session)
    form = page(t, f"/events/{event.id}/tally").find("main").find("form", method="post")
    data = {**form_values(form), "day": ago(5).isoformat()}
    for i in range(401):
        data[f"lines-{i}-qty"] = "1"
    response = t.post(f"/events/{event.id}/tally", data=data)
    assert response.status_code == 400
    assert "at most 400" in response.get_data(as_text=True)
    assert snapshot(session) == before
    assert t.get(f"/events/{event.id}/tally?lines=abc").status_code == 400
    assert t.get(f"/events/{event.id}/tally?lines=401").status_code == 400
    more = page(t, f"/events/{event.id}/tally?lines=30")
    assert len(more.find(id="lines").find("tbody").find_all("tr")) == 30


def test_a_spoiled_signing_tally_writes_nothing(launch, session):
    world, event, t = launch["world"], launch["event"], launch["treasurer"]
    author = str(session.scalars(select(Author.id)).first())
    before = snapshot(session)
    for values, lines, message in (
        ({"day": ago(5).isoformat()}, {"qty": 2}, "Choose who signed."),
        ({"day": ago(5).isoformat(), "authors": "abc"}, {"qty": 2}, "could not be coerced"),
        ({"day": "someday", "authors": author}, {"qty": 2}, "Not a valid date value."),
        ({"day": ago(5).isoformat(), "authors": author}, {"qty": "-3"}, "From 1 to"),
        ({"day": ago(5).isoformat(), "authors": author}, {"qty": 31}, "Only 30 unsigned"),
        ({"day": ago(5).isoformat(), "authors": author}, {"qty": ""}, "The tally has no lines"),
    ):
        response = send(
            t,
            f"/events/{event.id}/signing-tally",
            values,
            lines={(world.edition.id, None): lines},
        )
        assert response.status_code == 422, values
        assert any(message in e for e in errors(response)), (message, errors(response))
    assert snapshot(session) == before
    assert session.scalars(select(Event)).one().is_open
