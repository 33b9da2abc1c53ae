"""An event as its treasurer runs it from a phone: today's events first, one tap from the
sale screen; copies brought from the store, which offers only what it holds; closing
asked for, then confirmed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.factories import World, snapshot
from tests.web.forms import errors, page, send
from tracker.domain.accounts import Role
from tracker.models import Author, Event
from tracker.services import events
from tracker.services.events import EventDetails
from tracker.services.movements import Copies, transfer
from tracker.services.signings import sign

TODAY = date.today()


def _event(session, gb: int, name: str, starts: int, ends: int | None = None) -> Event:
    """An event starting ``starts`` days from today (ending ``ends`` days from today)."""
    return events.create_event(
        session,
        None,
        gb,
        EventDetails(
            name=name,
            kind="bookstall",
            starts_on=TODAY + timedelta(days=starts),
            ends_on=None if ends is None else TODAY + timedelta(days=ends),
        ),
    )


@pytest.fixture
def stall(world: World, session, login) -> dict:
    """Britain's store holds 96 unsigned and 4 signed English copies (signed at an
    earlier event, whose leftovers came back), and no Spanish ones; today's stall is
    open, its table empty. Britain's treasurer is logged in."""
    world.stocked(100)
    gb = world.loc("GB-STORE").section_id
    earlier = _event(session, gb, "Last week's meeting", -7)
    transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=earlier.location_id,
        lines=[Copies(world.edition.id, 10)],
        when=TODAY - timedelta(days=7),
    )
    author = session.scalars(select(Author.id).order_by(Author.name)).first()
    sign(
        session,
        None,
        event_id=earlier.id,
        edition_id=world.edition.id,
        qty=4,
        author_ids=[author],
        when=TODAY - timedelta(days=7),
    )
    events.close_event(session, None, earlier.id, when=TODAY - timedelta(days=7))
    today = _event(session, gb, "Saturday stall", 0)
    session.commit()
    return {
        "world": world,
        "gb": gb,
        "event": today,
        "treasurer": login(Role.TREASURER, "GB"),
    }


def _texts(cells) -> list[str]:
    return [c.get_text(" ", strip=True) for c in cells]


def test_bring_copies_offers_what_the_store_holds_and_goes_back_to_the_event(stall, session):
    world, t, event = stall["world"], stall["treasurer"], stall["event"]
    assert world.stock("GB-STORE") == 96 and world.stock("GB-STORE", condition="signed") == 4
    bring = page(t, f"/events/{event.id}").find("a", string="Bring copies")["href"]
    form_page = page(t, bring)
    assert form_page.h1.get_text(strip=True) == "Bring copies"
    table = form_page.find("table", id="lines")
    head = _texts(table.find("thead").find_all("th"))
    assert head == ["Edition", "In Britain store", "Copies"]
    rows = [_texts(tr.find_all("td"))[:2] for tr in table.find("tbody").find_all("tr")]
    # Only what the store holds, each condition with its count; no Spanish copies.
    english = world.edition.label
    assert rows == [[f"{english} unsigned", "96"], [f"{english} signed", "4"]]
    assert world.edition_es.label not in form_page.find("main").get_text()
    # Where from and where to come with the form: nothing to choose.
    assert not form_page.find("main").find("select")
    assert form_page.find("a", string="Sell")["href"] == f"/events/{event.id}/sell"

    response = send(
        t,
        bring,
        lines={
            (world.edition.id, "unsigned"): {"qty": 10},
            (world.edition.id, "signed"): {"qty": 2},
        },
    )
    # Back to the event, not to the ledger's page of the transfer.
    assert response.status_code == 302, errors(response)
    assert response.headers["Location"] == f"/events/{event.id}"
    event_page = BeautifulSoup(t.get(f"/events/{event.id}").get_data(as_text=True), "html.parser")
    assert "are on the table of Saturday stall" in event_page.find(class_="flash").get_text()
    assert event_page.find("a", string="Sell")["href"] == f"/events/{event.id}/sell"
    table_code = event.location.code
    assert world.stock(table_code) == 10 and world.stock(table_code, condition="signed") == 2
    assert world.stock("GB-STORE") == 86 and world.stock("GB-STORE", condition="signed") == 2

    # Asked for more than the store holds: refused, with the reason, and nothing moves.
    before = snapshot(session)
    response = send(t, bring, lines={(world.edition.id, "signed"): {"qty": 3}})
    assert response.status_code in (409, 422)
    assert any("signed" in m for m in errors(response)), errors(response)
    assert snapshot(session) == before


def test_bring_copies_from_an_empty_store_says_so(world: World, session, login):
    gb = world.loc("GB-STORE").section_id
    event = _event(session, gb, "Saturday stall", 0)
    session.commit()
    t = login(Role.TREASURER, "GB")
    soup = page(t, f"/transfers/new?from={world.loc('GB-STORE').id}&to={event.location_id}")
    assert "Britain store holds no copies to bring." in soup.find("main").get_text()
    assert not soup.find("table", id="lines") and not soup.find("button", string="Record transfer")


def test_a_transfer_between_other_places_still_offers_every_edition(stall):
    """Without an event's table to bring copies to, the transfer form is the usual one:
    where from and where to are chosen, every edition offered."""
    world, t = stall["world"], stall["treasurer"]
    soup = page(t, "/transfers/new")
    assert soup.find("select", id="from_location_id") and soup.find("select", id="to_location_id")
    assert world.edition_es.label in soup.find("table", id="lines").get_text()


def test_closing_asks_first_then_closes(stall, session):
    world, t, event = stall["world"], stall["treasurer"], stall["event"]
    transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=event.location_id,
        lines=[Copies(world.edition.id, 12), Copies(world.edition.id, 3, "signed")],
    )
    session.commit()
    event_page = page(t, f"/events/{event.id}")
    # One tap on the event's page no longer closes it: no form there posts to the close,
    # only a link to the question.
    assert not [
        f for f in event_page.find("main").find_all("form") if "/close" in (f.get("action") or "")
    ]
    close = event_page.find("a", string="Close the event…")
    assert close["href"] == f"/events/{event.id}/close"
    # Away from the other buttons: not in their row.
    assert close.find_parent(class_="page-actions") is None
    assert event_page.find("a", string="Report").find_parent(class_="page-actions")

    # Asking shows what goes back to the store, and changes nothing.
    before = snapshot(session)
    question = page(t, close["href"])
    assert snapshot(session) == before
    session.expire_all()
    assert session.get(Event, event.id).is_open
    back = question.find("table", id="back-to-store")
    rows = [_texts(tr.find_all("td")) for tr in back.find("tbody").find_all("tr")]
    english = world.edition.label
    assert rows == [[english, "unsigned", "12"], [english, "signed", "3"]]
    assert _texts(back.find("tfoot").find_all(["th", "td"])) == ["Back to Britain store", "15"]
    form = question.find("form", class_="close-form")
    assert form.find("input", attrs={"name": "closed_at"}) is not None
    assert form.find("button", string="Close the event")
    assert question.find("a", string="Back to the event")["href"] == f"/events/{event.id}"

    # The button closes it: the leftovers go back.
    response = send(t, close["href"], action="/close", follow=True)
    assert "is closed: the leftovers are back in the store." in response.get_data(as_text=True)
    session.expire_all()
    assert not session.get(Event, event.id).is_open
    assert world.stock("GB-STORE") == 96 and world.stock("GB-STORE", condition="signed") == 4
    # Closed: the question says so, and offers no button.
    closed = page(t, close["href"])
    assert "is closed already" in closed.find("main").get_text()
    assert not closed.find("form", class_="close-form")
    assert not page(t, f"/events/{event.id}").find("a", string="Close the event…")


def test_closing_with_a_spoiled_date_asks_again_naming_the_field(stall, session):
    t, event = stall["treasurer"], stall["event"]
    before = snapshot(session)
    response = send(t, f"/events/{event.id}/close", {"closed_at": "yesterday"}, action="/close")
    assert response.status_code == 422
    assert any(m.startswith("Closed at") for m in errors(response)), errors(response)
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    # The question again, the date unfolded to show what is wrong with it.
    assert soup.find("form", class_="close-form")
    assert soup.find("details", class_="when").has_attr("open")
    assert snapshot(session) == before


def test_today_and_ongoing_events_come_first_each_with_sell(stall, session, login):
    t, gb = stall["treasurer"], stall["gb"]
    today = stall["event"]
    ongoing = _event(session, gb, "Weekend festival", -1, 1)
    left_open = _event(session, gb, "Reading circle", -5, -3)
    soon = _event(session, gb, "Next month's school", 30)
    closed_today = _event(session, gb, "Morning stall", 0)
    events.close_event(session, None, closed_today.id)
    session.commit()

    soup = page(t, "/events")
    main = soup.find("main")
    assert [h.get_text(strip=True) for h in main.find_all("h2")] == [
        "Today and ongoing",
        "Coming up",
        "Past",
    ]
    now = main.find("section", class_="events-now")
    # Today's first (the latest begun first), then those left open after their end.
    names = [a.get_text(strip=True) for a in now.select(".event-what a")]
    assert names[-1] == "Reading circle"
    assert set(names[:-1]) == {"Saturday stall", "Morning stall", "Weekend festival"}
    assert names.index("Weekend festival") > names.index("Saturday stall")
    sells = {a["href"] for a in now.find_all("a", string="Sell")}
    assert sells == {f"/events/{e.id}/sell" for e in (today, ongoing, left_open)}
    # Coming up: the future alone; the past: over and closed.
    coming = main.find("h2", string="Coming up").find_next("table")
    assert _texts(coming.select("tbody tr td:first-child")) == [soon.name]
    past = main.find("h2", string="Past").find_next("table")
    assert _texts(past.select("tbody tr td:first-child")) == ["Last week's meeting"]

    # Where the treasurer lands: the same, before the figures.
    dashboard = page(t, "/dashboard")
    now = dashboard.find("section", class_="events-now")
    assert now is not None and now.find_previous("section", class_="totals") is None
    assert {a["href"] for a in now.find_all("a", string="Sell")} == sells
    # Anyone without a section of their own sees the dashboard as before.
    assert page(login(Role.COORDINATOR), "/dashboard").find(class_="events-now") is None
