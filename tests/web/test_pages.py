"""The pages, through HTTP: figures from the balances equal figures from the moves."""

from __future__ import annotations

from collections import defaultdict

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from config import TestConfig
from tests.factories import World
from tracker import create_app
from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.places import LocationKind
from tracker.models import Location, Move, Section
from tracker.queries.catalogue import list_editions
from tracker.web.access import public

K = LocationKind


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _num(cell) -> int:
    return int(cell.get_text(strip=True).replace(",", "") or 0)


# The figure copies at a location count towards, by its kind (and with what sign:
# copies that left the printer were printed).
ON_HAND_KINDS = (K.WAREHOUSE, K.SECTION_STORE, K.EVENT_TABLE)
FIGURE_OF_KIND = {
    K.IN_TRANSIT: ("in_transit", 1),
    K.CUSTOMERS: ("sold", 1),
    K.WRITTEN_OFF: ("written_off", 1),
    K.PRINTER: ("printed", -1),
    K.STOCKTAKE_DIFFERENCES: ("counted_short", 1),
}


def _from_moves(session, edition_id: int | None = None) -> dict:
    """Per section name (None: the publisher), tallied from the moves alone."""
    locations = {loc.id: loc for loc in session.scalars(select(Location))}
    sections = {s.id: s.name for s in session.scalars(select(Section))}
    tally: dict = defaultdict(lambda: defaultdict(int))
    for (location_id, condition), qty in _net(session, edition_id).items():
        location = locations[location_id]
        row = tally[sections.get(location.section_id)]
        if location.kind in ON_HAND_KINDS:
            row[f"on_hand_{condition}"] += qty
        elif location.kind in FIGURE_OF_KIND:
            name, sign = FIGURE_OF_KIND[location.kind]
            row[name] += sign * qty

        if condition == "signed" and location.kind != K.PRINTER:
            row["signed"] += qty
    return tally


def _net(session, edition_id: int | None) -> dict[tuple[int, str], int]:
    """Copies in less copies out, per location and condition, from the moves."""
    net: dict[tuple[int, str], int] = defaultdict(int)
    query = select(Move)
    if edition_id is not None:
        query = query.where(Move.edition_id == edition_id)
    for move in session.scalars(query):
        net[(move.to_location_id, move.to_condition)] += move.qty
        net[(move.from_location_id, move.from_condition)] -= move.qty
    return net


def _country_rows(soup: BeautifulSoup) -> dict:
    table = soup.find("table", id="by-country")
    rows = {}
    for tr in table.tbody.find_all("tr"):
        cells = tr.find_all("td")
        rows[cells[1].get_text(strip=True)] = {
            "in_transit": _num(cells[2]),
            "on_hand_unsigned": _num(cells[3]),
            "on_hand_signed": _num(cells[4]),
            "sold": _num(cells[5]),
            "signed": _num(cells[6]),
            "written_off": _num(cells[7]),
        }
    return rows


def _totals(soup: BeautifulSoup) -> dict:
    return {
        div.find(class_="caption").get_text(strip=True): _num(div.find(class_="figure"))
        for div in soup.find("section", class_="totals").find_all("div")
    }


FIELDS = ("in_transit", "on_hand_unsigned", "on_hand_signed", "sold", "signed", "written_off")


@pytest.mark.parametrize("one_edition", [False, True])
def test_home_page_figures_equal_the_sums_of_the_moves(demo_app, demo_login, one_edition):
    client = demo_login()
    with demo_app.app_context():
        editions = list_editions(db.session)
        edition_id = editions[0].id if one_edition else None
        expected = _from_moves(db.session, edition_id)
    url = f"/?edition={edition_id}" if one_edition else "/"
    soup = _soup(client.get(url))
    rows = _country_rows(soup)
    assert len(rows) == 14
    for name, figures in rows.items():
        assert figures == {f: expected[name][f] for f in FIELDS}, name
    totals = _totals(soup)
    publisher = expected[None]
    sections = [v for k, v in expected.items() if k is not None]
    assert totals["printed"] == publisher["printed"]
    assert totals["in the warehouse"] == publisher["on_hand_unsigned"] + publisher["on_hand_signed"]
    assert totals["in transit"] == sum(r["in_transit"] for r in expected.values())
    assert totals["with sections"] == sum(
        r["on_hand_unsigned"] + r["on_hand_signed"] for r in sections
    )
    assert totals["sold"] == sum(r["sold"] for r in expected.values())
    assert totals["signed"] == sum(r["signed"] for r in expected.values())
    short = sum(r["counted_short"] for r in expected.values())
    if short:
        assert totals[f"{'short' if short > 0 else 'found'} at stocktakes"] == abs(short)
    else:
        assert not any("stocktakes" in caption for caption in totals)
    # Every copy printed is somewhere.
    assert totals["printed"] == (
        totals["in the warehouse"]
        + totals["in transit"]
        + totals["with sections"]
        + totals["sold"]
        + sum(r["written_off"] for r in expected.values())
        + short
    )


def test_home_page_shows_the_demo_campaign(demo_login):
    soup = _soup(demo_login().get("/"))
    text = soup.get_text(" ", strip=True)
    for expected in (
        "Britain (RCP)",
        "Pakistan (Lal Salaam)",
        "Mexico (RCO)",
        "Canada",
        "Lahore store",
        "Wellred warehouse, London",
    ):
        assert expected in text
    # Event tables closed and empty since their event are not listed.
    assert "#LeninLives: London launch of In Defence of Lenin" not in text
    london = _country_rows(soup)["Britain (RCP)"]
    assert london["signed"] == 112  # 72 at the launch, 40 at the RCP conference
    assert london["written_off"] == 3
    assert _country_rows(soup)["Australia"]["in_transit"] == 120
    assert _country_rows(soup)["Ireland"]["written_off"] == 2


def test_home_page_on_an_empty_database(login):
    soup = _soup(login(Role.COORDINATOR).get("/"))
    assert "The ledger is empty" in soup.get_text()
    assert "tracker demo" in soup.get_text()


def test_unknown_edition_filter(demo_login):
    client = demo_login()
    response = client.get("/?edition=999999")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)
    # Not an id: refused, with the argument named.
    response = client.get("/?edition=abc")
    assert response.status_code == 400
    text = BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text()
    assert "edition='abc' is not an id" in text


def test_location_page_lists_balances_and_moves(demo_login):
    client = demo_login()
    # The London launch's table (events' tables are named by section and date).
    soup = _soup(client.get("/locations/gb-ev-20240121"))

    assert soup.h1.get_text(strip=True) == "#LeninLives: London launch of In Defence of Lenin"
    assert "closed" in soup.hgroup.get_text()
    moves = soup.find("table", id="moves").tbody.find_all("tr")
    assert 0 < len(moves) <= 50
    kinds = {tr.find_all("td")[1].get_text(strip=True) for tr in moves}
    assert {"sale", "transfer"} <= kinds
    # Each row links to its document, and the document page lists its moves.
    link = moves[0].find_all("td")[-1].a["href"]
    document = _soup(client.get(link))
    assert document.find("table", id="moves").tbody.find("tr") is not None


def test_location_page_pages_through_older_moves(demo_login):
    client = demo_login()
    first = _soup(client.get("/locations/GB-CUSTOMERS"))
    older = first.find("a", string=lambda s: s and "Older moves" in s)
    assert older is not None
    second = _soup(client.get(older["href"]))
    ids_first = [tr for tr in first.find("table", id="moves").tbody.find_all("tr")]
    ids_second = [tr for tr in second.find("table", id="moves").tbody.find_all("tr")]
    assert len(ids_first) == 50 and ids_second
    assert str(ids_first[-1]) != str(ids_second[0])


def test_location_balances_match_the_ledger(world: World, login, session):
    world.stocked(12)
    world.post("transfer", 5, "GB-STORE", "GB-EV")
    world.post("signing", 2, "GB-EV", "GB-EV", to_condition="signed")
    session.commit()
    soup = _soup(login(Role.TREASURER, "GB").get("/locations/GB-EV"))
    (row,) = soup.find("table", id="balances").tbody.find_all("tr")
    cells = [c.get_text(strip=True) for c in row.find_all("td")]
    assert cells[2:] == ["3", "2", "5"]


def test_unknown_pages_answer_404_in_the_layout(login):
    client = login(Role.COORDINATOR)
    for url in ("/locations/NOWHERE", "/documents/424242", "/no-such-page"):
        response = client.get(url)
        assert response.status_code == 404
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        assert soup.find("header", class_="site-header") is not None
        assert "Not Found" in soup.h1.get_text()


def test_wrong_method_answers_405(login):
    response = login(Role.COORDINATOR).post("/")
    assert response.status_code == 405
    assert "does not accept that kind of request" in response.get_data(as_text=True)


def test_an_unexpected_error_is_a_500_page_without_a_traceback(database):
    app = create_app(TestConfig, {"DATABASE_URL": database.url})

    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "nothing was saved" in body and "secret internals" not in body
    assert "Traceback" not in body
    app.extensions["tracker.db"].engine.dispose()


def test_healthz_needs_no_database():
    app = create_app(TestConfig, {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_tells_strangers_the_status_alone(client, login, database):
    """A load balancer needs the status; the schema revision is for admins and for a
    monitor that has the token."""
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert login(Role.COORDINATOR).get("/readyz").json == {"status": "ok"}
    admin = login(Role.ADMIN).get("/readyz").json
    assert admin["status"] == "ok" and admin["migrations"] == "at head"
    assert admin["current"] == admin["expected"] != []

    behind = create_app(
        TestConfig, {"DATABASE_URL": database.fresh(migrated=False), "READYZ_TOKEN": "s3cret"}
    )
    anonymous = behind.test_client().get("/readyz")
    assert anonymous.status_code == 503 and anonymous.json == {"status": "unavailable"}
    wrong = behind.test_client().get("/readyz", headers={"Authorization": "Bearer guess"})
    assert wrong.json == {"status": "unavailable"}
    monitor = behind.test_client().get("/readyz", headers={"Authorization": "Bearer s3cret"})
    assert monitor.status_code == 503 and monitor.json["migrations"] == "none applied"
    behind.extensions["tracker.db"].engine.dispose()


def test_readyz_when_the_database_is_unreachable():
    app = create_app(
        TestConfig,
        {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "READYZ_TOKEN": "t0ken"},
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json == {"status": "unavailable"}
    response = app.test_client().get("/readyz", headers={"Authorization": "Bearer t0ken"})
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "database": "unreachable",
        "error": "OperationalError",
    }


def test_pages_use_no_inline_scripts_or_styles(demo_login):
    client = demo_login()
    for url in ("/", "/locations/GB-STORE", "/no-such-page", "/audit", "/account/password"):
        soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
        assert soup.find("script") is None
        assert soup.find("style") is None
        assert not soup.find_all(style=True)
        for link in soup.find_all("link", rel="stylesheet"):
            assert link["href"].startswith("/static/")
