"""Exports of the tracker's tables, as people open them in a spreadsheet: CSV and XLSX.

Every report table offers both, with the same numbers as its page. Text that a
spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
is made plain text with a leading apostrophe, in both formats.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Response, request

from tracker.errors import BadRequest

# A cell starting with one of these is read as a formula by spreadsheets.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def cell(value: object) -> object:
    """A value safe in a CSV file: text that looks like a formula is made plain text
    with a leading apostrophe (numbers are left alone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _text(value)
    return value


def _xlsx_cell(value: object) -> object:
    """A value as an XLSX cell: numbers and dates keep their type, text is neutralised."""
    if value is None:
        return None
    if isinstance(value, datetime):
        # Spreadsheets know no time zones: UTC, as the pages show it.
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal | date):
        return value
    return _text(str(value))


def _attachment(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    # Werkzeug quotes the name, and adds an RFC 5987 form for names beyond ASCII.
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheets read UTF-8
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return _attachment(buffer.getvalue(), "text/csv", filename)


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]], title: str
) -> Response:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    # A sheet's name: at most 31 characters, none of []:*?/\
    sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet")
    bold = Font(bold=True)
    heading = []
    for name in header:
        c = WriteOnlyCell(sheet, value=_text(str(name)))
        c.font = bold
        heading.append(c)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return _attachment(buffer.getvalue(), _XLSX, filename)


def requested_format() -> str | None:
    """The export asked for in ``?format=``, None for the page itself."""
    fmt = request.args.get("format")
    if fmt is None or fmt == "":
        return None
    if fmt not in FORMATS:
        raise BadRequest(f"There is no export as {fmt!r}: ask for format=csv or format=xlsx.")
    return fmt


def export(
    stem: str, header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str = ""
) -> Response | None:
    """The table as a download in the format the request asked for, or None when it
    asked for the page."""
    fmt = requested_format()
    if fmt is None:
        return None
    if fmt == "csv":
        return csv_response(f"{stem}.csv", header, rows)
    return xlsx_response(f"{stem}.xlsx", header, rows, title or stem)
