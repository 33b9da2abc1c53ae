"""Exports: stored text with characters XML cannot hold never breaks a file; text a
spreadsheet would run as a formula is made plain, headers included."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from tracker import exports
from tracker.models import Role, Section
from tracker.services import places


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
