"""The JSON API's reads on the demo campaign: the dashboard, events, shipments, a
section's statement, sales, the audit trail, sections and places. Each answers what
its page shows (the same query, compared figure by figure), its pages followed to the
end give every record once, a treasurer sees their own section only, and a spoiled
filter is a 4xx naming the parameter, never a 500."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tracker.db import db
from tracker.domain.money import plain
from tracker.domain.periods import Period
from tracker.models import AuditEntry, Event, Location, Sale, Section, Shipment
from tracker.queries import dashboard
from tracker.queries.events import event_report
from tracker.queries.places import list_sections
from tracker.queries.statements import section_statement
from tracker.queries.stock import priced_stock

COORDINATOR = "coordinator@example.org"
GB_TREASURER = "treasurer.gb@example.org"

READS = [
    "/api/v1/dashboard",
    "/api/v1/events",
    "/api/v1/events/{event}",
    "/api/v1/shipments",
    "/api/v1/shipments/{shipment}",
    "/api/v1/sections/{section}/statement",
    "/api/v1/sales",
    "/api/v1/audit",
    "/api/v1/sections",
    "/api/v1/places",
]


def _ok(client, url: str) -> dict:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:2000])
    return answer.get_json()


def _all(client, url: str, limit: int) -> list[dict]:
    """Every item of a list, following its pages (and its Link header) to the end."""
    joiner = "&" if "?" in url else "?"
    answer = client.get(f"{url}{joiner}limit={limit}")
    items: list[dict] = []
    while True:
        assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
        body = answer.get_json()
        assert len(body["items"]) <= limit
        items += body["items"]
        if body["next"] is None:
            assert "Link" not in answer.headers
            return items
        assert len(body["items"]) == limit
        assert 'rel="next"' in answer.headers["Link"]
        answer = client.get(f"{url}{joiner}limit={limit}&cursor={body['next']}")


def _section_id(demo_app, country: str) -> int:
    with demo_app.app_context():
        return db.session.scalar(select(Section.id).where(Section.country_code == country))


def test_the_reads_are_in_the_document(demo_app):
    spec = demo_app.test_client().get("/api/v1/openapi.json").get_json()
    for path in READS:
        operation = spec["paths"][path]["get"]
        assert operation["summary"] and operation["description"], path


# -- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_has_the_pages_rows_and_total(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    body = _ok(client, "/api/v1/dashboard?from=2024-01-03&to=2024-06-30")
    # Whole weeks: the Monday before, the Sunday after.
    assert (body["from"], body["to"]) == ("2024-01-01", "2024-06-30")
    assert body["rows_are"] == "countries"
    with demo_app.app_context():
        page = dashboard.build(
            db.session,
            period=Period(date(2024, 1, 1), date(2024, 6, 30)),
            today=date.today(),
            publisher_currency=demo_app.config["PUBLISHER_CURRENCY"],
        )
        assert [row["key"] for row in body["rows"]] == [row.key for row in page.rows]
        for row, expected in zip(body["rows"], page.rows, strict=True):
            figures = expected.figures
            assert (row["received"], row["sold"], row["on_hand"], row["in_transit"]) == (
                figures.received,
                figures.sold,
                figures.on_hand,
                figures.in_transit,
            ), row["key"]
            assert [s["section"]["id"] for s in row["sections"]] == [
                s.section.id for s in expected.sections
            ]
            assert row["weekly_sold"] == expected.weekly
        assert body["total"]["sold"] == page.total.sold == sum(r["sold"] for r in body["rows"])
        assert body["total"]["outstanding"] == {
            "amount": plain(page.total.outstanding_minor or 0, page.currency),
            "currency": page.currency,
        }
        assert body["world"]["printed"] == page.world.printed
    assert len(body["weeks"]) == len(body["weekly_sold"]) == 26


def test_the_dashboard_of_one_country_has_a_row_per_section(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    body = _ok(client, "/api/v1/dashboard?country=GB&from=2024-01-01&to=2024-12-29")
    assert body["rows_are"] == "sections"
    assert body["country"]["code"] == "GB"
    assert {row["section"]["country"] for row in body["rows"]} == {"GB"}
    world = _ok(client, "/api/v1/dashboard?from=2024-01-01&to=2024-12-29")
    gb = next(row for row in world["rows"] if row["key"] == "GB")
    assert body["total"]["sold"] == gb["sold"]
    gb_section = _section_id(demo_app, "GB")
    one = _ok(client, f"/api/v1/dashboard?section={gb_section}&from=2024-01-01&to=2024-12-29")
    assert [row["section"]["id"] for row in one["rows"]] == [gb_section]


def test_a_treasurers_dashboard_is_their_sections(demo_app, demo_login):
    client = demo_login(GB_TREASURER)
    body = _ok(client, "/api/v1/dashboard?from=2024-01-01&to=2024-12-29")
    gb = _section_id(demo_app, "GB")
    assert body["rows_are"] == "sections"
    assert [row["section"]["id"] for row in body["rows"]] == [gb]
    assert body["world"] is None
    # Another section is no choice of theirs, as on their page.
    answer = client.get(f"/api/v1/dashboard?section={_section_id(demo_app, 'SE')}")
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "section"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2024-13-45", "from"),
        ("to=yesterday", "to"),
        ("from=2024-06-01&to=2024-01-01", "to"),
        ("from=2000-01-01&to=2024-01-01", "from"),  # more than 261 weeks
        ("edition=999999", "edition"),
        ("edition=0", "edition"),
        ("country=XX", "country"),
        ("country=gb", "country"),
        ("section=999999", "section"),
        ("colour=red", "colour"),
    ],
)
def test_a_spoiled_dashboard_filter_is_named(demo_login, query, field):
    answer = demo_login(COORDINATOR).get(f"/api/v1/dashboard?{query}")
    assert answer.status_code == 422, answer.get_data(as_text=True)[:1000]
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["field"] == field


# -- pages followed to the end -----------------------------------------------------------------


def _ids(demo_app, what: str) -> set[int]:
    with demo_app.app_context():
        session = db.session
        if what == "events":
            return set(session.scalars(select(Event.id)))
        if what == "shipments":
            return set(session.scalars(select(Shipment.document_id)))
        if what == "sales":
            return set(session.scalars(select(Sale.document_id).where(Sale.voided_at.is_(None))))
        if what == "places":
            return set(session.scalars(select(Location.id)))
        return set(session.scalars(select(AuditEntry.id).where(AuditEntry.kind == "stock.posted")))


@pytest.mark.parametrize(
    ("url", "what", "limit"),
    [
        ("/api/v1/events", "events", 4),
        ("/api/v1/shipments", "shipments", 9),
        # Many sales share their moment: the number breaks the tie.
        ("/api/v1/sales", "sales", 97),
        ("/api/v1/places", "places", 13),
        ("/api/v1/audit?action=stock.posted", "audit", 200),
    ],
)
def test_pages_followed_to_the_end_give_every_item_once(demo_app, demo_login, url, what, limit):
    items = _all(demo_login("admin@example.org"), url, limit)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) > limit
    assert set(ids) == _ids(demo_app, what)


def test_newest_first_lists_are_in_order(demo_login):
    client = demo_login(COORDINATOR)
    sales = _all(client, "/api/v1/sales", 200)
    keys = [(s["sold_at"], s["id"]) for s in sales]
    assert keys == sorted(keys, reverse=True)
    events = _all(client, "/api/v1/events", 200)
    keys = [(e["starts_on"], e["id"]) for e in events]
    assert keys == sorted(keys, reverse=True)
    shipments = [s["id"] for s in _all(client, "/api/v1/shipments", 200)]
    assert shipments == sorted(shipments, reverse=True)


# -- events ----------------------------------------------------------------------------------------


def test_an_event_has_its_table_and_the_pages_figures(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    for item in _all(client, "/api/v1/events", 200):
        body = _ok(client, f"/api/v1/events/{item['id']}")
        assert body["place"]["kind"] == "event_table"
        with demo_app.app_context():
            event = db.session.get(Event, item["id"])
            report = event_report(db.session, event)
            on_table = priced_stock(db.session, event.location, event.section)
            cur = event.section.currency
            figures = body["figures"]
            assert (figures["brought"], figures["sold"], figures["signed"], figures["sales"]) == (
                report.brought,
                report.sold,
                report.signed,
                report.sales,
            )
            assert figures["takings_total"] == {
                "amount": plain(report.takings_total, cur),
                "currency": cur,
            }
            assert figures["takings"]["cash"]["amount"] == plain(report.cash_takings, cur)
            assert [
                (r["edition"]["id"], r["condition"], r["copies"]) for r in body["on_table"]
            ] == [(r.edition.id, r.condition, r.qty) for r in on_table]
    assert any(i["status"] == "closed" for i in _all(client, "/api/v1/events", 200))


def test_events_are_filtered(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    gb = _section_id(demo_app, "GB")
    every = _all(client, "/api/v1/events", 200)
    ours = _all(client, f"/api/v1/events?section={gb}", 200)
    assert ours and {e["section"]["id"] for e in ours} == {gb}
    assert len(ours) < len(every)
    closed = _all(client, "/api/v1/events?status=closed", 200)
    assert {e["status"] for e in closed} == {"closed"}
    kind = every[0]["kind"]
    assert {e["kind"] for e in _all(client, f"/api/v1/events?kind={kind}", 200)} == {kind}
    january = _all(client, "/api/v1/events?from=2024-01-01&to=2024-01-31", 200)
    assert january
    assert all(e["ends_on"] >= "2024-01-01" and e["starts_on"] <= "2024-01-31" for e in january)
    assert len(january) == sum(
        1 for e in every if e["ends_on"] >= "2024-01-01" and e["starts_on"] <= "2024-01-31"
    )


# -- shipments -------------------------------------------------------------------------------------


def test_a_shipment_has_its_lines_and_receipts(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    received = _all(client, "/api/v1/shipments?status=received", 200)
    assert received and {s["status"] for s in received} == {"received"}
    body = _ok(client, f"/api/v1/shipments/{received[-1]['id']}")
    with demo_app.app_context():
        shipment = db.session.get(Shipment, body["id"])
        assert [(line["edition"]["id"], line["copies"]) for line in body["lines"]] == [
            (line.edition_id, line.qty) for line in shipment.lines
        ]
        assert body["lines"][0]["price"] == {
            "amount": plain(shipment.lines[0].unit_price_minor, shipment.currency),
            "currency": shipment.currency,
        }
        assert body["value"]["amount"] == plain(shipment.total_minor, shipment.currency)
    assert body["receipts"] and body["received_at"].endswith("Z")
    assert body["lines"][0]["received"] == sum(
        line["received"] for r in body["receipts"] for line in r["lines"]
    )
    assert body["from"]["kind"] in ("warehouse", "section_store")
    drafts = _all(client, "/api/v1/shipments?status=dispatched", 200)
    assert all(line["received"] is None for s in drafts for line in s["lines"])


def test_shipments_are_filtered(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    every = _all(client, "/api/v1/shipments", 200)
    returns = _all(client, "/api/v1/shipments?direction=return", 200)
    assert returns and {s["direction"] for s in returns} == {"return"}
    assert len(returns) < len(every)
    gb = _section_id(demo_app, "GB")
    ours = _all(client, f"/api/v1/shipments?section={gb}", 200)
    assert ours and {s["section"]["id"] for s in ours} == {gb}
    assert _all(client, "/api/v1/shipments?country=GB", 200) == ours
    january = _all(client, "/api/v1/shipments?from=2024-01-01&to=2024-01-31", 200)
    assert january and all(s["dispatched_at"].startswith("2024-01") for s in january)


# -- a section's statement -----------------------------------------------------------------------


def test_a_statement_has_the_pages_figures(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    for country in ("GB", "MX", "PK"):
        section = _section_id(demo_app, country)
        body = _ok(client, f"/api/v1/sections/{section}/statement")
        with demo_app.app_context():
            statement = section_statement(db.session, section)
            cur = statement.currency
            assert body["currency"] == cur == body["section"]["currency"]
            for name, minor in (
                ("owed", statement.owed_minor),
                ("remitted", statement.remitted_minor),
                ("outstanding", statement.outstanding_minor),
                ("takings_total", statement.takings_total),
            ):
                assert body[name] == {"amount": plain(minor, cur), "currency": cur}, name
            assert [e["sold"] for e in body["editions"]] == [e.sold for e in statement.editions]
            assert len(body["debts"]) == len(statement.debts)
    assert body["outstanding_by_age"].keys() == {
        "0-30 days",
        "31-60 days",
        "61-90 days",
        "over 90 days",
    }


# -- sales -----------------------------------------------------------------------------------------


def test_sales_are_filtered_and_voided_ones_asked_for(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    with demo_app.app_context():
        from tracker.services.sales import void_sale

        event = db.session.scalar(
            select(Event.id)
            .join(Sale, Sale.event_id == Event.id)
            .group_by(Event.id)
            .order_by(func.count().desc())
            .limit(1)
        )
        sale = db.session.scalar(select(Sale.document_id).where(Sale.event_id == event).limit(1))
        void_sale(db.session, None, sale, "Rung up twice")
        db.session.commit()
    at_event = _all(client, f"/api/v1/sales?event={event}", 200)
    assert at_event and {s["event"]["id"] for s in at_event} == {event}
    assert sale not in {s["id"] for s in at_event}
    with_voided = _all(client, f"/api/v1/sales?event={event}&voided=true", 200)
    assert len(with_voided) == len(at_event) + 1
    voided = next(s for s in with_voided if s["id"] == sale)
    assert voided["voided"] and voided["void_reason"] == "Rung up twice"
    for s in at_event:
        total = sum(
            int(line["price"]["amount"].replace(".", "")) * line["copies"] for line in s["lines"]
        )
        assert int(s["total"]["amount"].replace(".", "")) == total
    place = at_event[0]["place"]["id"]
    assert {s["place"]["id"] for s in _all(client, f"/api/v1/sales?place={place}", 200)} == {place}
    cash = _all(client, f"/api/v1/sales?event={event}&payment=cash", 200)
    assert cash and {s["payment"] for s in cash} == {"cash"}
    january = _all(client, "/api/v1/sales?from=2024-01-20&to=2024-01-21", 200)
    assert january and all(s["sold_at"][:10] in ("2024-01-20", "2024-01-21") for s in january)
    gb = _section_id(demo_app, "GB")
    assert {s["section"]["id"] for s in _all(client, f"/api/v1/sales?section={gb}", 200)} == {gb}


# -- the audit trail, sections and places --------------------------------------------------------


def test_the_audit_trail_is_the_audit_pages(demo_app, demo_login):
    client = demo_login("admin@example.org")
    body = _ok(client, "/api/v1/audit?limit=5")
    assert [e["id"] for e in body["items"]] == sorted(
        (e["id"] for e in body["items"]), reverse=True
    )
    newest = body["items"][0]
    assert newest["action"] == "user.login" and newest["who"]["email"] == "admin@example.org"
    posted = _ok(client, "/api/v1/audit?action=stock.posted&limit=200")["items"]
    assert {e["action"] for e in posted} == {"stock.posted"}
    backdated = next(e for e in posted if e["occurred_at"] < e["recorded_at"])
    assert backdated["after"]["moves"]
    gb = _section_id(demo_app, "GB")
    ours = _ok(client, f"/api/v1/audit?section={gb}&limit=200")["items"]
    assert ours and all(gb in e["sections"] for e in ours)
    today = date.today().isoformat()
    recent = _ok(client, f"/api/v1/audit?from={today}&to={today}")["items"]
    assert recent and all(e["recorded_at"].startswith(today) for e in recent)
    mine = _ok(client, f"/api/v1/audit?user={newest['who']['id']}")["items"]
    assert {e["who"]["id"] for e in mine} == {newest["who"]["id"]}
    # Coordinators read it too, as they read the audit page; nobody else.
    assert demo_login(COORDINATOR).get("/api/v1/audit").status_code == 200
    for email in ("distribution@example.org", GB_TREASURER):
        answer = demo_login(email).get("/api/v1/audit")
        assert answer.status_code == 403
        assert answer.mimetype == "application/problem+json"


def test_sections_and_places(demo_app, demo_login):
    client = demo_login(COORDINATOR)
    sections = _ok(client, "/api/v1/sections")["items"]
    with demo_app.app_context():
        assert [s["id"] for s in sections] == [s.id for s in list_sections(db.session)]
    gb = _section_id(demo_app, "GB")
    stores = _all(client, f"/api/v1/places?section={gb}&kind=section_store", 50)
    assert stores and {(p["kind"], p["section"]["id"]) for p in stores} == {("section_store", gb)}
    warehouse = _all(client, "/api/v1/places?kind=warehouse", 50)
    assert warehouse and warehouse[0]["section"] is None


# -- a treasurer's fence ---------------------------------------------------------------------------


def test_a_treasurer_sees_their_own_section_only(demo_app, demo_login):
    coordinator = demo_login(COORDINATOR)
    client = demo_login(GB_TREASURER)
    gb, se = _section_id(demo_app, "GB"), _section_id(demo_app, "SE")
    for url in ("/api/v1/events", "/api/v1/shipments", "/api/v1/sales"):
        items = _all(client, url, 200)
        assert items and {i["section"]["id"] for i in items} == {gb}, url
        assert _all(client, f"{url}?section={se}", 200) == [], url
    places = _all(client, "/api/v1/places", 200)
    assert places and {p["section"]["id"] for p in places} == {gb}
    assert [s["id"] for s in _ok(client, "/api/v1/sections")["items"]] == [gb]
    theirs = {
        "events": _all(coordinator, f"/api/v1/events?section={se}", 200)[0]["id"],
        "shipments": _all(coordinator, f"/api/v1/shipments?section={se}", 200)[0]["id"],
    }
    for url in (
        f"/api/v1/events/{theirs['events']}",
        f"/api/v1/shipments/{theirs['shipments']}",
        f"/api/v1/sections/{se}/statement",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert answer.mimetype == "application/problem+json"
        assert "Sweden" not in answer.get_data(as_text=True)
        assert coordinator.get(url).status_code == 200
    assert client.get(f"/api/v1/sections/{gb}/statement").status_code == 200


# -- spoiled requests ------------------------------------------------------------------------------

LISTS = [
    "/api/v1/events",
    "/api/v1/shipments",
    "/api/v1/sales",
    "/api/v1/audit",
    "/api/v1/places",
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("limit=0", 422, "limit"),
        ("limit=500", 422, "limit"),
        ("limit=ten", 422, "limit"),
        ("cursor=garbage", 400, "cursor"),
        # Another list's cursor: not one this list gave.
        ("cursor=WyJ4Il0", 400, "cursor"),
        ("section=0", 422, "section"),
        ("section=abc", 422, "section"),
        ("section=99999999999", 422, "section"),
        ("nonsense=1", 422, "nonsense"),
    ],
)
def test_a_spoiled_list_request_names_the_parameter(demo_login, url, query, status, field):
    answer = demo_login("admin@example.org").get(f"{url}?{query}")
    assert answer.status_code == status, answer.get_data(as_text=True)[:1000]
    assert answer.mimetype == "application/problem+json"
    assert answer.get_json()["field"] == field


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/events?from=2024-13-45", "from"),
        ("/api/v1/events?to=2024-02-30", "to"),
        ("/api/v1/events?kind=party", "kind"),
        ("/api/v1/events?status=ajar", "status"),
        ("/api/v1/shipments?from=2024-13-45", "from"),
        ("/api/v1/shipments?status=lost", "status"),
        ("/api/v1/shipments?direction=sideways", "direction"),
        ("/api/v1/shipments?country=Britain", "country"),
        ("/api/v1/sales?to=2024-13-45", "to"),
        ("/api/v1/sales?payment=cheque", "payment"),
        ("/api/v1/sales?voided=perhaps", "voided"),
        ("/api/v1/sales?event=-1", "event"),
        ("/api/v1/audit?from=2024-13-45", "from"),
        ("/api/v1/audit?user=x", "user"),
        ("/api/v1/places?kind=moon", "kind"),
    ],
)
def test_a_spoiled_filter_names_it(demo_login, url, field):
    answer = demo_login("admin@example.org").get(url)
    assert answer.status_code == 422, answer.get_data(as_text=True)[:1000]
    assert answer.get_json()["field"] == field


def test_cursors_of_another_list_or_tampered_are_refused(demo_login):
    client = demo_login(COORDINATOR)
    events_next = _ok(client, "/api/v1/events?limit=1")["next"]
    sales_next = _ok(client, "/api/v1/sales?limit=1")["next"]
    for url in (
        f"/api/v1/sales?cursor={events_next}",
        f"/api/v1/events?cursor={sales_next}",
        f"/api/v1/shipments?cursor={events_next}",
        # A moment without its offset is none of ours.
        "/api/v1/sales?cursor=WyIyMDI0LTAxLTAxVDAwOjAwOjAwIiwgMV0",
    ):
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert answer.get_json()["field"] == "cursor"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/999999",
        "/api/v1/shipments/999999",
        "/api/v1/sections/999999/statement",
        "/api/v1/events/99999999999",
    ],
)
def test_an_unknown_record_is_404(demo_login, url):
    answer = demo_login(COORDINATOR).get(url)
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
