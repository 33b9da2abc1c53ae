"""Exports through HTTP: an event report's CSV and XLSX cost the same statements
whatever its number of sales, and hold the same rows as before; its page is paginated;
stored text with control characters never breaks a file; text a spreadsheet would run
as a formula is made plain, headers included."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from tests.factories import STOCKED_AT
from tracker.domain.accounts import Role
from tracker.domain.money import from_minor
from tracker.models import Document, Event, Location, Sale, Section
from tracker.queries import distribution
from tracker.services import events as event_service
from tracker.services import movements, places
from tracker.services import sales as sales_service
from tracker.web import exports


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).active


def _event(session, world, name: str = "London launch", copies: int = 600) -> Event:
    """An open event of Britain with ``copies`` brought to its table."""
    world.stocked(copies)
    gb = world.loc("GB-STORE").section_id
    event = event_service.create_event(
        session,
        None,
        gb,
        event_service.EventDetails(
            name=name, kind="launch", starts_on=date.today(), expected_attendance=150
        ),
    )
    movements.transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=event.location_id,
        lines=[movements.Copies(world.edition.id, copies)],
        note="for the launch",
        # Before any sale a test dates.
        when=STOCKED_AT + timedelta(hours=1),
    )
    session.commit()
    return event


def _sell(session, world, event: Event, n: int, *, start: datetime | None = None) -> list[int]:
    """``n`` sales at the event, a minute apart from ``start``: cash and card in turn,
    some of two copies, some signed prices; returns their ids."""
    start = start or datetime.now(UTC) - timedelta(days=1)
    ids = []
    for i in range(n):
        sale = sales_service.sell(
            session,
            None,
            location_id=event.location_id,
            items=[
                sales_service.SaleItem(world.edition.id, 1 + i % 2, "unsigned", f"{20 + i % 3}.00")
            ],
            payment_method=("cash", "card", "bank_transfer")[i % 3],
            buyer_name="Sam" if i % 4 == 0 else None,
            when=start + timedelta(minutes=i),
        )
        ids.append(sale.id)
    session.commit()
    return ids


def _statements(app, client, url: str) -> tuple[int, object]:
    """The SQL statements run to answer ``url`` (its whole body read), and the response."""
    engine = app.extensions["tracker.db"].engine
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        response.get_data()
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    return len(seen), response


# -- the event report: queries, content, pages ------------------------------------------------


def test_an_event_report_costs_the_same_statements_for_10_or_200_sales(app, session, world, login):
    event = _event(session, world)
    _sell(session, world, event, 10)
    client = login(Role.TREASURER, "GB")
    url = f"/events/{event.id}/report"
    client.get(url)  # the first request fills what is kept once per process
    before = {fmt: _statements(app, client, f"{url}?format={fmt}")[0] for fmt in ("csv", "xlsx")}
    before["page"] = _statements(app, client, url)[0]
    ids = _sell(session, world, event, 190, start=datetime.now(UTC) - timedelta(hours=20))
    voided = sales_service.void_sale(session, None, ids[5], "typed 2 for 1")
    session.commit()
    for fmt in ("csv", "xlsx"):
        count, response = _statements(app, client, f"{url}?format={fmt}")
        assert count == before[fmt], (fmt, before[fmt], count)
        rows = (
            _csv(response)
            if fmt == "csv"
            else [list(r) for r in _xlsx(response).iter_rows(values_only=True)]
        )
        sales = [r for r in rows if r[0] == "sale"]
        assert len(sales) == 200
        assert any(f"#{voided.id} " in r[1] and "voided: typed 2 for 1" in r[2] for r in sales)
    assert _statements(app, client, url)[0] == before["page"]


def _same(value) -> object:
    """A cell's value, as a number where it is one (XLSX keeps numbers, CSV writes
    them), to compare both files."""
    if value is None:
        return ""
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return str(value)


def _old_rows(session, event_id: int) -> list[list[str]]:
    """The report's CSV as it was written before it was streamed: the figures added up
    from every sale loaded with its lines, one by one."""
    event = session.get(Event, event_id)
    currency = event.section.currency
    sales = list(
        session.scalars(
            select(Sale)
            .where(Sale.event_id == event.id)
            .options(selectinload(Sale.lines))
            .order_by(Sale.sold_at, Sale.document_id)
        )
    )
    kept = [s for s in sales if s.voided_at is None]
    takings = {"cash": 0, "card": 0, "bank_transfer": 0, "other": 0}
    for s in kept:
        takings[s.payment_method] += s.total_minor
    sold = sum(s.copies for s in kept)
    rows = [
        ["brought", "", "600"],
        ["returned to the store", "", "0"],
        ["sold unsigned", "", str(sold)],
        ["sold signed", "", "0"],
        ["signed", "", "0"],
        ["attendance", "", "150"],
        ["copies sold per attendee", "", str((Decimal(sold) / 150).quantize(Decimal("0.01")))],
    ]
    rows += [["takings", m, str(from_minor(v, currency))] for m, v in takings.items()]
    rows += [
        [
            "sale",
            f"#{s.id} {s.sold_at:%Y-%m-%d %H:%M}",
            f"{s.copies} copies, {from_minor(s.total_minor, s.currency)} {s.currency}, "
            f"{s.payment_label}" + (f", voided: {s.void_reason}" if s.voided_at else ""),
        ]
        for s in sales
    ]
    return rows


def test_a_streamed_report_holds_the_same_rows_as_before(app, session, world, login):
    event = _event(session, world)
    start = datetime(2026, 5, 1, 18, 0, tzinfo=UTC)
    ids = _sell(session, world, event, 6, start=start)
    # A sale recorded later, for the day before: it comes first.
    sales_service.sell(
        session,
        None,
        location_id=event.location_id,
        items=[sales_service.SaleItem(world.edition.id, 3, "unsigned", "10.00")],
        payment_method="other",
        when=start - timedelta(days=1),
    )
    sales_service.void_sale(session, None, ids[1], "wrong price")
    # Buyers' names are left out here (the export now names them); see below.
    session.execute(update(Sale).values(buyer_name=None))
    session.commit()
    client = login(Role.COORDINATOR)
    rows = _csv(client.get(f"/events/{event.id}/report?format=csv"))
    assert rows[0] == ["what", "detail", "value"]
    assert rows[1:] == _old_rows(session, event.id)
    assert rows[-7][1].endswith(" 2026-04-30 18:00")
    assert rows[-7][2] == "3 copies, 30.00 GBP, other"
    assert rows[-6] == ["sale", f"#{ids[0]} 2026-05-01 18:00", "1 copies, 20.00 GBP, cash"]
    # XLSX: the same rows and figures, its words as the reader says them (a payment's
    # word, a sentence for each sale with its money as the reader writes it).
    sheet = _xlsx(client.get(f"/events/{event.id}/report?format=xlsx"))
    values = [[_same(v) for v in r] for r in sheet.iter_rows(values_only=True)]
    assert len(values) == len(rows)
    words = {"bank_transfer": "bank transfer"}
    for said, kept in zip(values, rows, strict=True):
        assert said[0] == kept[0]
        if kept[0] != "sale":
            assert said[1] == words.get(kept[1], kept[1]) and said[2] == _same(kept[2])
    assert values[-7][2] == "3 copies, £30.00, other"
    assert values[-6] == ["sale", f"#{ids[0]} 2026-05-01 18:00", "1 copy, £20.00, cash"]
    assert sheet.title == "London launch"


def test_the_report_names_the_buyer(app, session, world, login):
    event = _event(session, world)
    [first] = _sell(session, world, event, 1)
    rows = _csv(login(Role.COORDINATOR).get(f"/events/{event.id}/report?format=csv"))
    assert rows[-1] == ["sale", rows[-1][1], "1 copies, 20.00 GBP, cash, bought by Sam"]
    assert rows[-1][1].startswith(f"#{first} ")


def _sales_on(soup) -> list[int]:
    table = soup.find("table", id="sales")
    return [int(tr.find("td").get_text().lstrip("#")) for tr in table.select("tbody tr")]


def test_the_report_page_shows_the_sales_a_page_at_a_time(app, session, world, login):
    limit = app.config["MOVES_PER_PAGE"]
    event = _event(session, world)
    start = datetime.now(UTC) - timedelta(days=2)
    ids = _sell(session, world, event, limit + 7, start=start)
    # Recorded last, but sold first: the oldest sale, on the last page.
    early = sales_service.sell(
        session,
        None,
        location_id=event.location_id,
        items=[sales_service.SaleItem(world.edition.id, 1)],
        payment_method="cash",
        when=start - timedelta(hours=1),
    )
    session.commit()
    client = login(Role.TREASURER, "GB")
    response = client.get(f"/events/{event.id}/report")
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    first = _sales_on(soup)
    assert first == list(reversed(ids))[:limit]
    # The figures are those of every sale, not of the page.
    copies = soup.find("table", id="copies").get_text(" ", strip=True)
    sold = sum(1 + i % 2 for i in range(limit + 7)) + 1
    assert f"Sold, unsigned {sold}" in copies
    older = soup.find("a", string=re.compile("Older sales"))["href"]
    assert f"before={first[-1]}" in older
    soup = BeautifulSoup(client.get(older).get_data(as_text=True), "html.parser")
    second = _sales_on(soup)
    assert second == [*list(reversed(ids))[limit:], early.id]
    assert soup.find("a", string=re.compile("Older sales")) is None
    assert soup.find("a", string=re.compile("back to the newest")) is not None
    # No sale of the event's as the cursor: the first page.
    again = client.get(f"/events/{event.id}/report?before=999999999")
    assert _sales_on(BeautifulSoup(again.data, "html.parser")) == first
    # Not an id at all: refused, as on every page, with the argument named.
    refused = client.get(f"/events/{event.id}/report?before=x")
    assert refused.status_code == 400 and "before=" in refused.get_data(as_text=True)


# -- the other whole-table exports, read in chunks ---------------------------------------------


def test_whole_table_exports_are_read_in_chunks_and_hold_every_row(app, session, world, login):
    world.stocked(200)
    store, table = world.loc("GB-STORE").id, world.loc("GB-EV").id
    for i in range(5):
        movements.transfer(
            session,
            None,
            from_location_id=store,
            to_location_id=table,
            lines=[movements.Copies(world.edition.id, 1 + i)],
            note=f"transfer {i}",
        )
    for i in range(3):
        movements.write_off(
            session,
            None,
            location_id=store,
            reason="damaged",
            lines=[movements.Copies(world.edition.id, 1)],
            note=f"write-off {i}",
        )
    for counted in (150, 151, 149):
        movements.stocktake(
            session,
            None,
            location_id=store,
            counts=[movements.Copies(world.edition.id, counted)],
            reason="counted",
        )
    for i in range(3):
        movements.record_print_run(
            session, None, edition_id=world.edition.id, qty=10, reference=f"run {i}"
        )
    session.commit()
    # Read two at a time, the tables hold what the pages list, in the same order.
    chunked = [
        (distribution.all_transfers(session, chunk=2), distribution.transfers(session)),
        (distribution.all_write_offs(session, chunk=2), distribution.write_offs(session)),
    ]
    for rows, listed in chunked:
        rows = list(rows)
        assert [(r.document.id, r.copies, r.editions) for r in rows] == [
            (r.document.id, r.copies, r.editions) for r in listed
        ]
    assert [s.document_id for s in distribution.all_stocktakes(session, chunk=2)] == [
        s.document_id for s in distribution.stocktakes(session)
    ]
    assert [r.document.id for r in distribution.all_print_runs(session, chunk=2)] == [
        r.document.id for r in distribution.print_runs(session)
    ]
    client = login(Role.DISTRIBUTOR)
    transfers = _csv(client.get("/transfers?format=csv"))
    assert [r[7] for r in transfers[1:]] == [f"transfer {i}" for i in reversed(range(5))]
    assert transfers[1][4:6] == ["5", "5 × In Defence of Lenin (English paperback)"]
    write_offs = _csv(client.get("/write-offs?format=csv"))
    assert [r[7] for r in write_offs[1:]] == [f"write-off {i}" for i in reversed(range(3))]
    stocktakes = _csv(client.get("/stocktakes?format=csv"))
    assert [r[7] for r in stocktakes[1:]] == ["-2", "1", "-32"]  # the newest first
    runs = _xlsx(client.get("/print-runs?format=xlsx"))
    assert [r[5] for r in runs.iter_rows(min_row=2, values_only=True)][:3] == [
        "run 2",
        "run 1",
        "run 0",
    ]


# -- stored text that XML cannot hold ----------------------------------------------------------


def _controls(database) -> str:
    """Control characters a text column holds (PostgreSQL refuses NUL in text)."""
    return "\x01\x1f" + ("" if database.is_postgresql else "\x00")


def test_control_characters_in_stored_text_never_break_an_export(
    app, session, world, login, database
):
    event = _event(session, world)
    [sale, voided] = _sell(session, world, event, 2)
    sales_service.void_sale(session, None, voided, "wrong")
    bad = _controls(database)
    # Text recorded before such characters were refused at input: notes cannot change.
    session.execute(update(Event).where(Event.id == event.id).values(name=f"Launch\x0bnight{bad}"))
    session.execute(
        update(Location)
        .where(Location.id == event.location_id)
        .values(name=f"Launch\x0bnight{bad}")
    )
    session.execute(
        update(Document).where(Document.kind == "transfer").values(note=f"for{bad} the\x0claunch")
    )
    session.execute(update(Sale).where(Sale.document_id == sale).values(buyer_name=f"Sam{bad}"))
    session.execute(
        update(Sale).where(Sale.document_id == voided).values(void_reason=f"=wrong\x0b{bad}")
    )
    session.commit()
    client = login(Role.COORDINATOR)

    report = _csv(client.get(f"/events/{event.id}/report?format=csv"))
    sheet = _xlsx(client.get(f"/events/{event.id}/report?format=xlsx"))
    cells = [str(c) for r in sheet.iter_rows(values_only=True) for c in r if c is not None]
    assert sheet.title == "Launch night"
    for texts in ([c for r in report for c in r], cells):
        assert any(t.endswith(", bought by Sam") for t in texts)
        assert any(t.endswith("voided: =wrong\n") for t in texts)
        assert not any(ch in t for t in texts for ch in bad + "\x0b\x0c")

    transfers = _csv(client.get("/transfers?format=csv"))
    sheet = _xlsx(client.get("/transfers?format=xlsx"))
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    for table in (transfers, rows):
        assert table[1][3] == "Launch\nnight" and table[1][7] == "for the\nlaunch"


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("a\x0bb", "a\nb"),
        ("a\x0cb", "a\nb"),
        ("a\x00b\x08c\x1fd", "abcd"),
        ("tab\there, line\nbreak\r\n", "tab\there, line\nbreak\r\n"),
        ("\ufffeno\uffff", "no"),
        ("\x0b=1+1", "'\n=1+1"),
    ],
)
def test_text_is_cleaned_of_what_xml_cannot_hold(stored, written):
    assert exports.text(stored) == written
    # Whatever is stored, openpyxl writes it, and reads it back.
    target = io.BytesIO()
    exports.write_xlsx(target, [stored], [[stored]], stored)
    sheet = load_workbook(target).active
    assert [c.value for c in sheet["A"]] == [written, written]


# -- formulas ----------------------------------------------------------------------------------


FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\uff1d1+1",  # fullwidth =
    "\uff0b1",  # fullwidth +
    "\uff0d1",  # fullwidth -
    "\uff20SUM(A1)",  # fullwidth @
    "\ufe661+1",  # small =
    "\u200b=1+1",  # zero width space
    "\ufeff=1+1",  # byte order mark
    "\u2060\u200e+1",  # word joiner, left-to-right mark
    " =1+1",
    "\u00a0\u3000=1",  # no-break and ideographic spaces
    "\u3164=1",  # Hangul filler
    "\n-1",
]
PLAIN = ["Sam", "1-2", "a=b", "", "#1", "'quoted", "\u200bSam", "２=1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_text_that_would_run_as_a_formula_is_made_plain(value):
    assert exports.is_formula(value)
    assert exports.text(value) == "'" + value
    assert exports.cell(value) == "'" + value


@pytest.mark.parametrize("value", PLAIN)
def test_other_text_is_left_as_it_is(value):
    assert not exports.is_formula(value)
    assert exports.text(value) == value


def test_numbers_are_left_alone():
    for number in (-5, Decimal("-3.50"), -0.5, 0):
        assert exports.cell(number) == number
    target = io.BytesIO()
    exports.write_xlsx(target, ["n", "text"], [[-5, "-5"], [Decimal("-3.50"), "=1"]], "n")
    rows = list(load_workbook(target).active.iter_rows(min_row=2, values_only=True))
    assert rows == [(-5, "'-5"), (-3.5, "'=1")]


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "\uff1dHYPERLINK(1)", "\u200b=1+2"])
def test_section_names_in_the_weekly_table_header_are_made_plain(app, session, world, login, name):
    world.stocked(10)
    section = places.create_section(session, name="France", country_code="FR", currency="EUR")
    session.flush()
    session.execute(update(Section).where(Section.id == section.id).values(name=name))
    session.commit()
    client = login(Role.COORDINATOR)
    start = (date.today() - timedelta(days=30)).isoformat()
    url = f"/dashboard?country=FR&start={start}&table=weekly"
    header = _csv(client.get(f"{url}&format=csv"))[0]
    assert header[1] == "'" + name
    sheet = _xlsx(client.get(f"{url}&format=xlsx"))
    cell = sheet.cell(row=1, column=2)
    assert cell.value == "'" + name and cell.data_type == "s"
    # In a cell too.
    rows = _csv(client.get(f"/dashboard?country=FR&start={start}&format=csv"))
    assert rows[1][1] == "'" + name
