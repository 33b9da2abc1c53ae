"""Imports from CSV and XLSX: each kind with a good file, a file with errors in many
rows (nothing written, every error listed), the same file twice, bad files, and sales
that would leave a place short at a past date."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from tests.factories import ISBN_EN, ISBN_ES, World, snapshot
from tracker import audit
from tracker.domain.accounts import Role
from tracker.domain.imports import BROWSER
from tracker.models import AuditEntry, Edition, Import, Sale, Section, Shipment
from tracker.services import imports
from tracker.services import sales as sales_service
from tracker.services.imports.templates import template_csv, template_xlsx


def csv_of(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode()


def xlsx_of(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


SALES_HEADER = ["date", "place", "edition", "copies", "payment", "price"]


def sales_file(rows: int = 3, days: int = 5) -> list[list[str]]:
    return [SALES_HEADER] + [
        [ago(days), "GB-STORE", ISBN_EN, "1", "cash", "10.00"] for _ in range(rows)
    ]


@pytest.fixture
def stocked(world: World) -> World:
    return world.stocked(100)


def problems_of(outcome) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in outcome.problems]


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
def test_sales_good_file_goes_in_once(session, stocked, shape):
    rows = sales_file(3)
    data = csv_of(rows) if shape == "csv" else xlsx_of(rows)
    outcome = imports.run(session, None, "sales", data, filename=f"old.{shape}")
    assert outcome.problems == [] and outcome.written
    assert outcome.made["sales"] == 3
    assert stocked.stock("GB-STORE") == 97
    assert session.scalar(select(func.count()).select_from(Sale)) == 3
    before = snapshot(session)
    again = imports.run(session, None, "sales", data, filename=f"again.{shape}")
    assert not again.written
    assert "imported already" in again.problems[0].message
    assert snapshot(session) == before


def test_preview_writes_nothing(session, stocked):
    before = snapshot(session)
    outcome = imports.run(session, None, "sales", csv_of(sales_file(2)), write=False)
    assert outcome.problems == [] and not outcome.written and outcome.made["sales"] == 2
    assert snapshot(session) == before
    assert session.scalar(select(func.count()).select_from(Import)) == 0


def test_sales_errors_in_many_rows_are_all_listed(session, stocked):
    rows = [
        SALES_HEADER,
        [ago(5), "GB-STORE", ISBN_EN, "1", "cash", "10.00"],
        [ago(5), "Nowhere", ISBN_EN, "1", "cash", ""],
        [ago(5), "GB-STORE", "9780000000000", "1", "cash", ""],
        [ago(5), "GB-STORE", ISBN_EN, "0", "cash", ""],
        [ago(5), "GB-STORE", ISBN_EN, "-2", "cash", ""],
        ["2020-13-45", "GB-STORE", ISBN_EN, "1", "cash", ""],
        [(date.today() + timedelta(days=3)).isoformat(), "GB-STORE", ISBN_EN, "1", "cash", ""],
        ["1850-01-01", "GB-STORE", ISBN_EN, "1", "cash", ""],
        [ago(5), "GB-STORE", ISBN_EN, "1", "cheque", ""],
        [ago(5), "GB-STORE", ISBN_EN, "", "cash", ""],
    ]
    before = snapshot(session)
    outcome = imports.run(session, None, "sales", csv_of(rows))
    assert not outcome.written
    assert problems_of(outcome) == [
        (3, "place"),
        (4, "edition"),
        (5, "copies"),
        (6, "copies"),
        (7, "date"),
        (8, "date"),
        (9, "date"),
        (10, "payment"),
        (11, "copies"),
    ]
    assert snapshot(session) == before


def test_sales_that_leave_a_place_short_at_a_past_date(session, world):
    # 2 copies arrive 3 days ago: 3 sold 10 days ago were not there then.
    world.stocked(2, at=None)
    rows = [SALES_HEADER] + [[ago(10), "GB-STORE", ISBN_EN, "1", "cash", "10"]] * 2
    before = snapshot(session)
    outcome = imports.run(session, None, "sales", csv_of(rows))
    assert not outcome.written
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "copies")]
    assert "were at" in outcome.problems[0].message or "was at" in outcome.problems[0].message
    assert snapshot(session) == before


def test_sales_spread_over_time_around_a_delivery(session, world):
    """Sales before and after a later delivery: each moment adds up, so they go in."""
    world.stocked(1)
    world.stocked(2, at=None)
    rows = [
        SALES_HEADER,
        [ago(20), "GB-STORE", ISBN_EN, "1", "cash", "10"],
        [date.today().isoformat(), "GB-STORE", ISBN_EN, "2", "card", "10"],
    ]
    outcome = imports.run(session, None, "sales", csv_of(rows))
    assert outcome.problems == [], outcome.problems
    assert world.stock("GB-STORE") == 0


def test_treasurer_meets_another_sections_place_as_unknown(session, stocked, make_user):
    treasurer = make_user(Role.TREASURER, "SE")
    outcome = imports.run(session, treasurer, "sales", csv_of(sales_file(1)))
    assert problems_of(outcome) == [(2, "place")]
    assert "no place" in outcome.problems[0].message


# -- the audit trail -------------------------------------------------------------------


def _audited(session, kind: str) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id))
    )


def test_an_imported_files_sales_are_one_audit_entry_per_place(session, world, make_user):
    """Not one entry per sale: one per place, naming the import, the file, the sales'
    documents, what they came to and the copies of each edition and condition."""
    world.stocked(20)
    world.stocked(20, store="SE-STORE")
    user = make_user(Role.ADMIN)
    audit.set_actor(session, user.id)
    posted_before = len(_audited(session, "stock.posted"))
    rows = [
        [*SALES_HEADER, "condition"],
        *[[ago(9), "GB-STORE", ISBN_EN, "2", "cash", "10.00", ""]] * 3,
        [ago(3), "GB-STORE", ISBN_EN, "1", "card", "12.50", "unsigned"],
        *[[ago(5), "SE-STORE", ISBN_EN, "1", "cash", "150", ""]] * 4,
    ]
    data = csv_of(rows)
    outcome = imports.run(session, user, "sales", data, filename="sales-2024.csv")
    assert outcome.written, outcome.problems
    # The sales' postings are in their place's entry, not each in one of its own.
    assert len(_audited(session, "stock.posted")) == posted_before
    entries = {entry.after["place"]["code"]: entry for entry in _audited(session, "import.sales")}
    assert set(entries) == {"GB-STORE", "SE-STORE"}
    record = session.get(Import, outcome.record_id)
    for code, count, total, copies, sold_on in (
        ("GB-STORE", 4, {"GBP": "72.50"}, 7, (ago(9), ago(3))),
        ("SE-STORE", 4, {"SEK": "600.00"}, 4, (ago(5), ago(5))),
    ):
        entry = entries[code]
        place = world.loc(code)
        ids = sorted(session.scalars(select(Sale.document_id).where(Sale.location_id == place.id)))
        assert len(ids) == count
        assert entry.summary == f"Imported {count} sales at {place.name} from sales-2024.csv"
        assert (entry.object_type, entry.object_id) == ("import", str(record.id))
        assert entry.user_id == user.id
        assert [s.id for s in entry.sections] == [place.section_id]
        after = entry.after
        assert (after["import"], after["file"]) == (record.id, "sales-2024.csv")
        assert after["sha256"] == record.digest == imports.digest_of(data)
        assert after["documents"] == {"first": ids[0], "last": ids[-1], "count": count}
        assert (after["sold"]["first"][:10], after["sold"]["last"][:10]) == sold_on
        assert after["total"] == total
        assert after["copies"] == [
            {
                "edition": world.edition.id,
                "isbn": ISBN_EN,
                "condition": "unsigned",
                "copies": copies,
            }
        ]
    # The sales keep who recorded them, and the file they came from.
    sale = session.get(Sale, after["documents"]["first"])
    assert sale.document.created_by_id == user.id
    assert sale.document.note == "Imported from sales-2024.csv"


def test_a_sale_made_at_the_table_keeps_its_own_entry(session, stocked):
    """Only an import records its sales as a batch: sales sent by the sale screen (two
    at once here) each have their posting's entry, with what the sale cost."""
    imports.run(session, None, "sales", csv_of(sales_file(2)), filename="old.csv")
    place = stocked.loc("GB-STORE")
    sent = [
        sales_service.SentSale(
            key=str(uuid.uuid4()),
            content={"n": n},
            items=[sales_service.SaleItem(stocked.edition.id, 1)],
            payment_method="cash",
        )
        for n in range(2)
    ]
    _place, results = sales_service.sell_sent(session, None, place.id, sent)
    assert all(result.recorded for result in results), results
    posted = {entry.object_id: entry for entry in _audited(session, "stock.posted")}
    for result in results:
        entry = posted[str(result.sale.id)]
        assert entry.after["sale"]["payment"] == "cash"
        assert entry.after["moves"][0]["to"] == "GB-CUSTOMERS/unsigned"
    assert len(_audited(session, "import.sales")) == 1


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"%PDF-1.4\x00\x01\x02", "a.pdf", "NUL"),
        (b"", "a.csv", "empty"),
        (b"\xff\xfe\xfa", "a.csv", "UTF-8"),
        (b"PK\x03\x04broken", "a.xlsx", "not a valid XLSX"),
        (b"\xd0\xcf\x11\xe0rest", "a.xls", ".xls"),
    ],
)
def test_bad_files(session, stocked, data, filename, words):
    outcome = imports.run(session, None, "sales", data, filename=filename)
    assert not outcome.written
    assert outcome.problems[0].row is None and words in outcome.problems[0].message


def test_wrong_headers_huge_cell_and_nul(session, stocked):
    outcome = imports.run(session, None, "sales", csv_of([["date", "where", "edition"]]))
    assert problems_of(outcome) == [
        (1, "copies"),
        (1, "payment"),
        (1, "place"),
        (1, "where"),
    ]
    rows = sales_file(2)
    rows[1][5] = "9" * 5000
    rows[2][1] = "Nowhere"
    outcome = imports.run(session, None, "sales", csv_of(rows))
    assert problems_of(outcome) == [(2, "price"), (3, "place")]
    rows[2][1] = "GB\x00STORE"
    outcome = imports.run(session, None, "sales", csv_of(rows))
    assert "NUL" in outcome.problems[0].message


def test_browser_limits(session, stocked):
    big = csv_of(sales_file(1)) + b"\n" * (BROWSER.size or 0)
    outcome = imports.run(session, None, "sales", big, limits=BROWSER)
    assert "larger than 2 MB" in outcome.problems[0].message


def test_formula_without_value_is_refused(session, stocked):
    rows: list[list[object]] = [SALES_HEADER, [ago(5), "GB-STORE", ISBN_EN, "=1+1", "cash", ""]]
    outcome = imports.run(session, None, "sales", xlsx_of(rows), filename="f.xlsx")
    assert "formula" in outcome.problems[0].message


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
def test_opening_stock(session, world, shape):
    world.printed(500)
    rows = [
        ["place", "edition", "condition", "copies", "date"],
        ["GB-STORE", ISBN_EN, "unsigned", "40", ago(30)],
        ["GB-STORE", ISBN_EN, "signed", "5", ago(30)],
        ["London launch", ISBN_ES, "", "3", ago(30)],
    ]
    data = csv_of(rows) if shape == "csv" else xlsx_of(rows)
    outcome = imports.run(session, None, "opening-stock", data, filename=f"o.{shape}")
    # The event's table is no place for opening stock.
    assert problems_of(outcome) == [(4, "place")]
    del rows[3]
    data = csv_of(rows) if shape == "csv" else xlsx_of(rows)
    outcome = imports.run(session, None, "opening-stock", data, filename=f"o.{shape}")
    assert outcome.problems == [] and outcome.written
    assert world.stock("GB-STORE") == 40
    assert world.stock("GB-STORE", condition="signed") == 5
    assert imports.run(session, None, "opening-stock", data).problems[0].row is None


def test_opening_stock_errors(session, world):
    rows = [
        ["place", "edition", "copies", "date"],
        ["GB-STORE", ISBN_EN, "-1", ago(3)],
        ["GB-STORE", "12", "4", ago(3)],
        ["Atlantis", ISBN_EN, "4", ago(3)],
        ["GB-STORE", ISBN_EN, "4", "yesterday"],
    ]
    before = snapshot(session)
    outcome = imports.run(session, None, "opening-stock", csv_of(rows))
    assert problems_of(outcome) == [(2, "copies"), (3, "edition"), (4, "place"), (5, "date")]
    assert snapshot(session) == before


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
def test_editions_and_sections(session, world, shape):
    editions = [
        ["title", "authors", "isbn", "language", "list_price", "currency"],
        ["The Revolution Betrayed", "Leon Trotsky", "9781900007368", "en", "15.00", "GBP"],
        ["The Revolution Betrayed", "", "9781900007375", "es", "17.00", "EUR"],
    ]
    data = csv_of(editions) if shape == "csv" else xlsx_of(editions)
    outcome = imports.run(session, None, "editions", data, filename=f"e.{shape}")
    assert outcome.problems == [], outcome.problems
    assert session.scalar(select(func.count()).select_from(Edition)) == 4
    sections = [["name", "country", "currency"], ["Mexico (RCO)", "MX", "MXN"]]
    data = csv_of(sections) if shape == "csv" else xlsx_of(sections)
    outcome = imports.run(session, None, "sections", data, filename=f"s.{shape}")
    assert outcome.problems == [], outcome.problems
    assert session.scalar(select(Section).where(Section.name == "Mexico (RCO)"))


def test_editions_and_sections_errors(session, world):
    editions = [
        ["title", "isbn", "language", "list_price", "currency"],
        ["A", ISBN_EN, "en", "1.00", "GBP"],
        ["B", "123", "en", "1.00", "GBP"],
        ["C", "9781900007368", "en", "-1", "GBP"],
        ["D", "9781900007375", "en", "1.00", "XXX"],
    ]
    outcome = imports.run(session, None, "editions", csv_of(editions))
    assert [p.row for p in outcome.problems] == [2, 3, 4, 5]
    assert all(p.column for p in outcome.problems), outcome.problems
    sections = [["name", "country", "currency"], ["Britain", "GB", "GBP"], ["X", "ZZ", "GBP"]]
    outcome = imports.run(session, None, "sections", csv_of(sections))
    assert [(p.row, p.column) for p in outcome.problems] == [(2, "name"), (3, "country")]


def test_shipments(session, world):
    world.printed(500)
    world.printed(500, edition=world.edition_es)
    rows = [
        ["shipment", "section", "edition", "copies", "price", "dispatched_on"],
        ["1", "Britain", ISBN_EN, "100", "12.50", ago(5)],
        ["1", "Britain", ISBN_ES, "10", "12.50", ""],
        ["2", "Sweden", ISBN_EN, "20", "12.50", ""],
    ]
    outcome = imports.run(session, None, "shipments", csv_of(rows))
    assert outcome.problems == [], outcome.problems
    assert outcome.made == {"shipments": 2, "dispatched": 1}
    assert session.scalar(select(func.count()).select_from(Shipment)) == 2
    assert world.stock("GB-TRANSIT") == 100


def test_shipments_errors(session, world):
    rows = [
        ["shipment", "section", "edition", "copies", "price", "dispatched_on"],
        ["1", "Britain", ISBN_EN, "100", "9", ago(5)],  # nothing in the warehouse
        ["2", "Narnia", ISBN_EN, "20", "9", ""],
        ["3", "Sweden", ISBN_EN, "zero", "9", ""],
    ]
    before = snapshot(session)
    outcome = imports.run(session, None, "shipments", csv_of(rows))
    assert problems_of(outcome) == [(2, "dispatched_on"), (3, "section"), (4, "copies")]
    assert snapshot(session) == before


def test_who_may_import(session, world, make_user):
    coordinator = make_user(Role.COORDINATOR)
    with pytest.raises(Exception, match="may not import"):
        imports.run(session, coordinator, "sales", csv_of(sales_file(1)))
    treasurer = make_user(Role.TREASURER, "GB")
    with pytest.raises(Exception, match="may not import"):
        imports.run(session, treasurer, "editions", b"title\n")
    # Sales are a section's to record, as on the sale screen: not the warehouse's.
    distributor = make_user(Role.DISTRIBUTOR)
    with pytest.raises(Exception, match="may not import"):
        imports.run(session, distributor, "sales", csv_of(sales_file(1)))


@pytest.mark.parametrize("kind", ["opening-stock", "sales", "shipments", "sections", "editions"])
def test_templates_read_back_with_their_own_columns(session, kind):
    for data, name in ((template_csv(kind), "t.csv"), (template_xlsx(kind), "t.xlsx")):
        outcome = imports.run(session, None, kind, data, filename=name, write=False)
        assert all(p.row != 1 for p in outcome.problems), outcome.problems


# -- the command line ------------------------------------------------------------------


def test_command_line(runner, tmp_path):
    result = runner.invoke(args=["import", "templates", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "t").iterdir()} >= {"sales.csv", "sales.xlsx"}
    editions = tmp_path / "editions.csv"
    editions.write_bytes(
        csv_of(
            [
                ["title", "authors", "isbn", "language", "list_price", "currency"],
                ["In Defence of Lenin", "Alan Woods; Rob Sewell", ISBN_EN, "en", "25", "GBP"],
            ]
        )
    )
    sections = tmp_path / "sections.csv"
    sections.write_bytes(csv_of([["name", "country", "currency"], ["Britain", "GB", "GBP"]]))
    stock = tmp_path / "stock.xlsx"
    stock.write_bytes(
        xlsx_of([["place", "edition", "copies", "date"], ["Britain store", ISBN_EN, 50, ago(9)]])
    )
    sales = tmp_path / "sales.csv"
    sales.write_bytes(csv_of(sales_file(3)))
    preview = runner.invoke(args=["import", "editions", str(editions), "--preview"])
    assert preview.exit_code == 0 and "would make editions: 1" in preview.output, preview.output
    for path, kind in (
        (editions, "editions"),
        (sections, "sections"),
        (stock, "opening-stock"),
        (sales, "sales"),
    ):
        result = runner.invoke(args=["import", kind, str(path)])
        assert result.exit_code == 0, result.output
        assert "Imported" in result.output
    again = runner.invoke(args=["import", "sales", str(sales)])
    assert again.exit_code == 1 and "imported already" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of([*sales_file(1), [ago(2), "Nowhere", ISBN_EN, "0", "cash", ""]]))
    result = runner.invoke(args=["import", "sales", str(bad)])
    assert result.exit_code == 1
    assert "row 3, column place" in result.output and "Nothing was imported" in result.output
    nobody = runner.invoke(args=["import", "sales", str(bad), "--as", "nobody@example.org"])
    assert nobody.exit_code == 1 and "no active account" in nobody.output
