"""The dashboard through HTTP: the page, its filters and drill-down, its exports, who
sees what, bad addresses, and a constant number of queries per render."""

from __future__ import annotations

import csv
import html
import io
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import event, select

from config import TestConfig
from tests.conftest import GENERATED_END
from tests.factories import PASSWORD, log_in, make_user, post_form
from tracker import create_app
from tracker.domain.accounts import Role
from tracker.models import Edition, Section
from tracker.queries import dashboard
from tracker.queries.dashboard import Period
from tracker.services import events as event_service
from tracker.services import places
from tracker.services import places as places_service
from tracker.services import sales as sales_svc

COORDINATOR = "coordinator@example.org"
TREASURER_GB = "treasurer.gb@example.org"


def _soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _table(soup: BeautifulSoup, table_id: str = "by-country") -> dict[str, list[str]]:
    """Rows of a figures table: the first cell's text, then each cell's exact value."""
    table = soup.find("table", id=table_id)
    assert table is not None, f"no table {table_id}"
    rows = {}
    for tr in table.select("tbody tr, tfoot tr"):
        cells = tr.find_all(["th", "td"])
        name = cells[0].get_text(" ", strip=True)
        rows[name] = [c.get("data-value") for c in cells[1:]]
    return rows


def _build(app, **kwargs):
    session = app.extensions["tracker.db"].session_factory()
    try:
        _first, latest = dashboard.activity_weeks(session)
        period = kwargs.pop("period", None) or dashboard.default_period(latest, date.today())
        return dashboard.build(
            session, period=period, today=date.today(), publisher_currency="GBP", **kwargs
        )
    finally:
        session.close()


def test_the_coordinators_page_shows_what_the_dashboard_counts(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    soup = _soup(client.get("/dashboard"))
    data = _build(demo_app)
    rows = _table(soup)
    assert len(rows) == len(data.rows) + 1  # and a totals row
    for row in data.rows:
        cells = rows[f"{row.country.code} {row.name}"]
        f = row.figures
        assert [int(c) for c in cells[:7]] == [
            f.received,
            f.in_transit,
            f.on_hand_unsigned,
            f.on_hand_signed,
            f.sold,
            f.signed,
            f.written_off,
        ]
    assert [int(c) for c in rows["Total"][:7]][4] == data.total.sold
    text = soup.get_text(" ", strip=True)
    assert "printed in the period" in text and f"{data.world.printed:,}" in text
    # The demo lies in 2024: the page shows 2024, not an empty year.
    assert "2024" in soup.find("h1").find_next("p").get_text()
    # Three charts, each with its numbers as a table.
    for chart in ("weekly", "position", "signed"):
        assert soup.select_one(f"figure.chart table[data-chart={chart}]") is not None
    weekly = soup.select_one("table[data-chart=weekly]")
    assert len(weekly.select("tbody tr")) == len(data.weeks)
    # Links to the event and signing reports.
    assert soup.find("a", href="/events") and soup.find("a", href="/signings")


def test_filters_change_the_figures(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    whole = _table(_soup(client.get("/dashboard")))
    session = demo_app.extensions["tracker.db"].session_factory()
    editions = list(session.scalars(select(Edition).order_by(Edition.id)))
    session.close()
    sold = {
        e.id: _table(_soup(client.get(f"/dashboard?edition={e.id}")))["Total"][4] for e in editions
    }
    assert sum(int(v) for v in sold.values()) == int(whole["Total"][4])
    # A country: its sections, one row each.
    gb = _soup(client.get("/dashboard?country=GB"))
    assert list(_table(gb)) == ["GB Britain (RCP)"]
    # A period: spring 2024 sold less than the year.
    spring = _table(_soup(client.get("/dashboard?start=2024-03-01&end=2024-05-31")))
    assert int(spring["Total"][4]) < int(whole["Total"][4])


def test_drill_down_from_country_to_moves(demo_login):
    client = demo_login(COORDINATOR)
    soup = _soup(client.get("/dashboard"))
    country = soup.find("table", id="by-country").find(
        "a", string=lambda s: s and "United Kingdom" in s
    )
    country = country or soup.find("table", id="by-country").find(
        "a", href=lambda h: "country=GB" in h
    )
    sections = _soup(client.get(country["href"]))
    section_link = sections.find("table", id="by-country").find("a")
    page = _soup(client.get(section_link["href"]))
    assert page.find("table", id="places") and page.find("table", id="events")
    place = page.find("table", id="places").find("a")
    assert _soup(client.get(place["href"])).find("table")
    document = page.find("table", id="documents").find("a")
    moves = _soup(client.get(document["href"]))
    assert "Moves" in moves.get_text() or moves.find("table")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2024-13-01", "Not a valid date"),
        ("start=2024-06-01&end=2024-01-01", "must end on or after"),
        ("edition=999999", "There is no such title / edition"),
        ("edition=abc", "There is no such title / edition"),
        ("country=ZZ", "There is no such country"),
        ("section=999999", "There is no such section"),
        ("start=2000-01-01&end=2024-12-31", "at most 261 weeks"),
    ],
)
def test_bad_filters_say_what_is_wrong(demo_login, query, message):
    client = demo_login(COORDINATOR)
    response = client.get(f"/dashboard?{query}")
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("query", "message"),
    [("format=pdf", "format=csv or format=xlsx"), ("format=csv&table=nope", "no table 'nope'")],
)
def test_bad_exports_say_what_is_wrong(demo_login, query, message):
    response = demo_login(COORDINATOR).get(f"/dashboard?{query}")
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))


def test_a_period_with_nothing_says_so_and_links_to_one_with_data(demo_login):
    soup = BeautifulSoup(
        demo_login(COORDINATOR).get("/dashboard?start=2019-01-01&end=2019-06-30").data,
        "html.parser",
    )
    empty = soup.find(id="no-activity")
    assert empty is not None and "Nothing happened in these weeks" in empty.get_text()
    link = empty.find("a", role="button")
    assert "start=2024" in link["href"]


def test_an_empty_ledger(app, login):
    soup = _soup(login(Role.COORDINATOR).get("/dashboard"))
    assert "The ledger is empty" in soup.get_text()


def test_exports_hold_the_same_numbers_as_the_page(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    rows = _table(_soup(client.get("/dashboard")))
    response = client.get("/dashboard?format=csv&table=rows")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = exported[0], exported[1:]
    assert header[:4] == ["country", "section", "received", "in transit"]
    by_country = {r[0]: r for r in body}
    data = _build(demo_app)
    for row in data.rows:
        line = by_country[row.name]
        assert int(line[2]) == row.figures.received and int(line[9]) == row.figures.sold
        page = rows[f"{row.country.code} {row.name}"]
        assert int(line[9]) == int(page[4])
    assert int(by_country["total"][9]) == data.total.sold
    # The same table as XLSX.
    response = client.get("/dashboard?format=xlsx&table=rows")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0][:3]) == ["country", "section", "received"]
    xlsx = {r[0]: r for r in values[1:]}
    for row in data.rows:
        assert xlsx[row.name][9] == row.figures.sold and xlsx[row.name][2] == row.figures.received
    # The weekly sales, week by week.
    weekly = client.get("/dashboard?format=xlsx&table=weekly")
    sheet = load_workbook(io.BytesIO(weekly.data)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert len(lines) == len(data.weeks) + 1
    assert sum(line[-1] for line in lines[1:]) == sum(data.weekly_total)


def test_formulas_are_neutralised_in_exports(app, session, world, login):
    world.stocked(10)
    places.create_section(session, name='=HYPERLINK("x")', country_code="FR", currency="EUR")
    session.commit()
    client = login(Role.COORDINATOR)
    start = (date.today() - timedelta(days=30)).isoformat()
    text = client.get(f"/dashboard?country=FR&start={start}&format=csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    response = client.get(f"/dashboard?country=FR&start={start}&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cell = next(c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value))
    assert cell.value.startswith("'=") and cell.data_type == "s"


def test_a_treasurer_sees_their_section_only(demo_app, demo_login):
    client = demo_login(TREASURER_GB)
    session = demo_app.extensions["tracker.db"].session_factory()
    others = [s for s in session.scalars(select(Section)) if s.country_code != "GB"]
    gb = session.scalar(select(Section).where(Section.country_code == "GB"))
    session.close()
    pages = [
        client.get("/dashboard"),
        client.get(f"/dashboard/sections/{gb.id}"),
        client.get("/dashboard?format=csv&table=rows"),
        client.get("/dashboard?format=csv&table=weekly"),
        client.get("/dashboard?format=csv&table=alerts"),
        client.get(f"/dashboard?section={others[0].id}"),
        client.get("/dashboard?country=SE"),
    ]
    for response in pages:
        text = response.get_data(as_text=True)
        for other in others:
            assert other.name not in text
        assert "printed" not in text.lower() or response.mimetype == "text/csv"
    xlsx = client.get("/dashboard?format=xlsx&table=rows")
    cells = [
        c
        for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert not any(other.name in str(c) for other in others for c in cells)
    # Every figure is Britain's own.
    own = _build(demo_app, section=gb, scoped=True)
    rows = _table(_soup(pages[0]))
    assert list(rows) == [f"GB {gb.name}"]
    assert int(rows[f"GB {gb.name}"][4]) == own.total.sold
    assert client.get("/dashboard?format=csv&table=world").status_code == 400
    # Another section's page does not exist for them.
    assert client.get(f"/dashboard/sections/{others[0].id}").status_code == 404


def _count_queries(app, url: str, client, *, cached: bool = False) -> int:
    """The SQL statements of one render (computed afresh, unless ``cached``)."""
    if not cached:
        pages = app.extensions.get("tracker.dashboard_pages")
        if pages is not None:
            pages.cache.clear()
    engine = app.extensions["tracker.db"].engine
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_a_render_costs_the_same_queries_however_many_countries_and_events(generated_app):
    client = generated_app.test_client()
    session = generated_app.extensions["tracker.db"].session_factory()
    make_user(
        session, generated_app.extensions["tracker.hasher"], Role.COORDINATOR, email="c@example.org"
    )
    session.commit()
    log_in(client, "c@example.org", PASSWORD)
    period = f"start={GENERATED_END - timedelta(days=360)}&end={GENERATED_END}"
    url = f"/dashboard?{period}"
    client.get(url)  # the first render fills caches
    before = _count_queries(generated_app, url, client)
    # Five more countries, each with three events, one of them soon with nothing sent.
    for code, name in (
        ("NL", "Netherlands"),
        ("NO", "Norway"),
        ("PL", "Poland"),
        ("GR", "Greece"),
        ("AR", "Argentina"),
    ):
        section = places.create_section(
            session, name=f"{name} section", country_code=code, currency="EUR"
        )
        for k in range(3):
            event_service.create_event(
                session,
                None,
                section.id,
                event_service.EventDetails(
                    name=f"{name} {k}",
                    kind="launch",
                    starts_on=date.today() + timedelta(days=k * 5),
                ),
            )
    session.commit()
    session.close()
    after = _count_queries(generated_app, url, client)
    assert after == before, (before, after)
    # Nothing changed since: the page as it was, for the price of knowing that.
    assert _count_queries(generated_app, url, client, cached=True) <= 4
    # Filtered to one country, or to a past period: the same again.
    assert _count_queries(generated_app, f"{url}&country=GB", client) <= before
    start, end = GENERATED_END - timedelta(days=200), GENERATED_END - timedelta(days=100)
    past = f"/dashboard?start={start}&end={end}"
    assert _count_queries(generated_app, past, client) <= before + 1


def test_admins_set_the_thresholds(demo_app, demo_login):
    client = demo_login("admin@example.org")
    page = _soup(client.get("/dashboard/thresholds"))
    rows = page.find("table", id="thresholds").select("tbody tr")
    assert len(rows) == 14
    first_id = page.find("input", {"name": "sections-0-section_id"})["value"]
    response = post_form(
        client,
        "/dashboard/thresholds",
        {
            "weeks_of_cover": "6",
            "copies": "50",
            "sections-0-section_id": first_id,
            "sections-0-weeks_of_cover": "",
            "sections-0-copies": "0",
        },
        page="/dashboard/thresholds",
    )
    assert response.status_code == 302
    session = demo_app.extensions["tracker.db"].session_factory()
    from tracker.queries.dashboard import default_thresholds
    from tracker.services import alerts

    assert default_thresholds(session) == alerts.Thresholds(6, 50)
    assert session.get(Section, int(first_id)).alert_copies == 0
    session.close()
    bad = post_form(
        client,
        "/dashboard/thresholds",
        {"weeks_of_cover": "-3", "copies": "lots"},
        page="/dashboard/thresholds",
    )
    assert bad.status_code == 422
    text = html.unescape(bad.get_data(as_text=True))
    assert "From 0 to 104 weeks" in text and "'lots' is not a whole number" in text


def test_a_section_page_lists_places_events_and_documents(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    session = demo_app.extensions["tracker.db"].session_factory()
    gb = session.scalar(select(Section).where(Section.country_code == "GB"))
    session.close()
    soup = _soup(client.get(f"/dashboard/sections/{gb.id}?start=2024-01-01&end=2024-12-31"))
    assert "London" in soup.find("table", id="places").get_text()
    assert soup.find("table", id="events").find("a", string="Report")
    assert len(soup.find("table", id="documents").select("tbody tr")) == 50
    rows = _table(soup, "section-figures")
    data = _build(
        demo_app, section=gb, period=Period.covering(date(2024, 1, 1), date(2024, 12, 31))
    )
    assert int(rows[f"GB {gb.name}"][4]) == data.total.sold


def test_the_page_on_a_fresh_app(database):
    """No demo, no login: the address asks to log in."""
    app = create_app(TestConfig, {"DATABASE_URL": database.fresh()})
    try:
        assert app.test_client().get("/dashboard").status_code == 302
    finally:
        app.extensions["tracker.db"].engine.dispose()


def test_the_page_follows_every_change(demo_app, demo_login):
    """A page kept from an earlier render is shown only while nothing has changed: a
    sale, a shipment or a threshold changes it at once."""
    client = demo_login("admin@example.org")
    url = "/dashboard?start=2024-01-01&end=2024-12-31"
    before = _table(_soup(client.get(url)))
    assert _table(_soup(client.get(url))) == before  # the kept page
    session = demo_app.extensions["tracker.db"].session_factory()
    gb = session.scalar(select(Section).where(Section.country_code == "GB"))
    edition = session.scalars(select(Edition).order_by(Edition.id)).first()

    sales_svc.sell(
        session,
        None,
        location_id=places_service.store_of(gb).id,
        items=[sales_svc.SaleItem(edition.id, 2, "unsigned", None)],
        payment_method="cash",
        when=date(2024, 12, 20),
    )
    session.commit()
    session.close()
    after = _table(_soup(client.get(url)))
    assert int(after["Total"][4]) == int(before["Total"][4]) + 2
