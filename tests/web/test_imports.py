"""The import page: a file checked and previewed, every problem shown by row and
column, confirmed to write; the same file twice refused; a treasurer fenced."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from tests.factories import ISBN_EN, csrf_token, snapshot
from tests.test_imports import SALES_HEADER, ago, csv_of, sales_file, xlsx_of
from tracker.domain.accounts import Role
from tracker.models import Import, Sale


def send(client, kind: str, data: bytes, name: str):
    return client.post(
        "/imports/",
        data={
            "csrf_token": csrf_token(client, "/imports/"),
            "kind": kind,
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def confirm(client, page: str):
    fields = dict(re.findall(r'name="(kind|digest|filename)" type="hidden" value="([^"]*)"', page))
    if not fields:
        fields = {
            name: value
            for value, name in re.findall(
                r'value="([^"]*)"[^>]*name="(kind|digest|filename)"', page
            )
        }
    return client.post(
        "/imports/confirm", data={**fields, "csrf_token": csrf_token(client, "/imports/")}
    )


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
def test_preview_then_confirm_then_refused_again(login, world, session, shape):
    world.stocked(100)
    client = login(Role.TREASURER, "GB")
    rows = sales_file(2)
    data = csv_of(rows) if shape == "csv" else xlsx_of(rows)
    before = snapshot(session)
    page = send(client, "sales", data, f"old.{shape}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ready to import" in html and "Import it" in html
    assert snapshot(session) == before
    done = confirm(client, html)
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    assert session.scalar(select(func.count()).select_from(Sale)) == 2
    assert session.scalar(select(func.count()).select_from(Import)) == 1
    again = send(client, "sales", data, f"old.{shape}")
    assert again.status_code == 422
    assert "imported already" in again.get_data(as_text=True)


def test_every_problem_is_shown_by_row_and_column(login, world, session):
    world.stocked(100)
    client = login(Role.ADMIN)
    rows = [
        SALES_HEADER,
        [ago(3), "Nowhere", ISBN_EN, "1", "cash", ""],
        [ago(3), "GB-STORE", ISBN_EN, "0", "cash", ""],
        ["3000-01-01", "GB-STORE", ISBN_EN, "1", "cash", ""],
    ]
    before = snapshot(session)
    page = send(client, "sales", csv_of(rows), "bad.csv")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    cells = re.findall(r'<tr><td class="num">(\d*)</td><td>([a-z_]*)</td>', html)
    assert cells == [("2", "place"), ("3", "copies"), ("4", "date")]
    assert "Import it" not in html
    assert snapshot(session) == before


def test_treasurer_meets_another_sections_place_as_unknown(login, world, session):
    world.stocked(100)
    client = login(Role.TREASURER, "SE")
    page = send(client, "sales", csv_of(sales_file(1)), "gb.csv")
    assert page.status_code == 422 and "no place" in page.get_data(as_text=True)
    # And no kind beyond opening stock and sales is offered, nor taken.
    assert 'value="editions"' not in client.get("/imports/").get_data(as_text=True)
    refused = send(client, "editions", b"title\n", "e.csv")
    assert refused.status_code == 422


def test_a_tampered_or_stale_confirmation_writes_nothing(login, world, session):
    world.stocked(100)
    client = login(Role.ADMIN)
    token = csrf_token(client, "/imports/")
    before = snapshot(session)
    for digest in ("0" * 64, "not-a-digest", ""):
        answer = client.post(
            "/imports/confirm",
            data={"kind": "sales", "digest": digest, "filename": "x", "csrf_token": token},
        )
        assert answer.status_code in (400, 404)
    assert snapshot(session) == before


def test_templates_download(login):
    client = login(Role.DISTRIBUTOR)
    csv_answer = client.get("/imports/templates/sales.csv")
    assert csv_answer.status_code == 200
    assert csv_answer.get_data(as_text=True).startswith("date,time,place,edition")
    assert client.get("/imports/templates/shipments.xlsx").data.startswith(b"PK")
    assert client.get("/imports/templates/nothing.csv").status_code == 404
    assert client.get("/imports/templates/sales.pdf").status_code == 404


def test_bad_files_from_the_browser(login, world):
    client = login(Role.ADMIN)
    for data, name in ((b"", "empty.csv"), (b"\x00\x01", "x.bin"), (b"PK\x03\x04no", "x.xlsx")):
        page = send(client, "sales", data, name)
        assert page.status_code == 422, name


def test_an_imported_files_sales_are_on_the_audit_page_and_in_the_api(login, world, session):
    """One entry per place for the file's sales: the audit page lists it (and under its
    section), and so does the API, with what the sales came to."""
    world.stocked(100)
    treasurer = login(Role.TREASURER, "GB")
    page = send(treasurer, "sales", csv_of(sales_file(3)), "old.csv")
    assert confirm(treasurer, page.get_data(as_text=True)).status_code == 302
    record = session.scalar(select(Import))
    admin = login(Role.ADMIN)
    summary = "Imported 3 sales at Britain store from old.csv"
    for query in ({"kind": "import.sales"}, {"section": world.loc("GB-STORE").section_id}):
        listed = admin.get("/audit", query_string=query)
        assert listed.status_code == 200
        assert summary in listed.get_data(as_text=True), query
    answer = admin.get("/api/v1/audit?action=import.sales")
    assert answer.status_code == 200
    (entry,) = answer.get_json()["items"]
    assert entry["who"]["id"] == treasurer.user.id
    assert entry["after"]["import"] == record.id and entry["after"]["sha256"] == record.digest
    assert entry["after"]["documents"]["count"] == 3
    assert entry["after"]["total"] == {"GBP": "30.00"}
