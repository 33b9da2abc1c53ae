"""Templates: a file of each kind with its columns and example rows (from the demo
campaign), as CSV and as XLSX."""

from __future__ import annotations

import csv
import io

from tracker.services.imports import kind_of


def _rows(kind_name: str) -> list[list[str]]:
    columns = kind_of(kind_name).columns()
    return [[c.key for c in columns], [c.example for c in columns]]


def template_csv(kind_name: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(_rows(kind_name))
    return out.getvalue().encode("utf-8")


def template_xlsx(kind_name: str) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind_name
    for row in _rows(kind_name):
        sheet.append(row)
    # The meanings, on a sheet of their own: the first sheet is what is imported.
    about = book.create_sheet("columns")
    about.append(["column", "required", "meaning"])
    for column in kind_of(kind_name).columns():
        about.append([column.key, "yes" if column.required else "", column.meaning])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
