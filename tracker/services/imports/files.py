"""Reading a spreadsheet: CSV (UTF-8, with or without its byte order mark; commas, or
semicolons as some spreadsheets write them) or XLSX (its first sheet, read-only), into
rows of text keyed by column. Only the shape is checked here: sizes, NUL, formulas
without a value, the header; what the values mean is each kind's."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from tracker.domain.imports import Limits, Problem, header_key
from tracker.domain.words import number, say

XLSX_MAGIC = b"PK\x03\x04"
OLD_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Row:
    """A row of the file: its number as the spreadsheet shows it, and its cells by
    column key (stripped text; a column the row lacks is "")."""

    number: int
    cells: dict[str, str]
    # Columns whose cell could not be read (a problem of the sheet's).
    unread: set[str] = field(default_factory=set)

    def __getitem__(self, key: str) -> str:
        return self.cells.get(key, "")


@dataclass
class Sheet:
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Unreadable(Exception):
    """The file cannot be read at all: its one problem."""

    def __init__(self, message: str):
        super().__init__(message)
        self.problem = Problem(None, None, message)


def read(data: bytes, filename: str | None, limits: Limits) -> Sheet:
    """The file's rows; Unreadable when it cannot be read as a whole (too big, not CSV
    or XLSX, no header). Problems of single cells are the sheet's, by row and column."""
    if limits.size is not None and len(data) > limits.size:
        raise Unreadable(
            say(
                "The file is larger than %(limit)s MB: split it, or import it with the "
                "command line (tracker import).",
                limit=number(limits.size // (1024 * 1024)),
            )
        )
    if not data.strip():
        raise Unreadable(say("The file is empty."))
    name = (filename or "").lower()
    if data.startswith(OLD_XLS_MAGIC) or name.endswith(".xls"):
        raise Unreadable(say("This is an old Excel file (.xls): save it as .xlsx or as CSV."))
    if data.startswith(XLSX_MAGIC) or name.endswith(".xlsx"):
        return _sheet(_xlsx_rows(data), limits)
    return _sheet(_csv_rows(data), limits)


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    if b"\x00" in data:
        raise Unreadable(say("The file holds NUL characters: it is neither CSV (UTF-8) nor XLSX."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable(
            say("The file is neither CSV in UTF-8 nor XLSX: save it as CSV UTF-8 or as .xlsx.")
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error as error:
        raise Unreadable(
            say(
                "The file cannot be read as CSV near line %(line)s (%(error)s).",
                line=reader.line_num,
                error=str(error),
            )
        ) from None


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    import openpyxl

    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise Unreadable(
            say("The file is not a valid XLSX file: save it again as .xlsx or CSV.")
        ) from None
    try:
        sheet, written = values.worksheets[0], formulas.worksheets[0]
        for number_, (cells, typed) in enumerate(
            zip(
                sheet.iter_rows(values_only=True),
                written.iter_rows(values_only=True),
                strict=False,
            ),
            start=1,
        ):
            yield [
                _cell_text(value, raw, number_, column)
                for column, (value, raw) in enumerate(zip(cells, typed, strict=False), start=1)
            ]
    finally:
        values.close()
        formulas.close()


class FormulaWithoutValue(Exception):
    pass


def _cell_text(value: object, raw: object, row: int, column: int) -> str:
    """A cell as text: a formula as the value the spreadsheet saved with it (none
    saved: refused), numbers without a spurious ".0", days and moments in ISO 8601."""
    if value is None:
        if isinstance(raw, str) and raw.startswith("="):
            raise Unreadable(
                say(
                    "Row %(row)s, column %(column)s holds a formula with no saved value: open "
                    "the file in a spreadsheet, save it, and import it again (or paste the "
                    "values only).",
                    row=row,
                    column=column,
                )
            )
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)


def _sheet(lines: Iterator[list[str]], limits: Limits) -> Sheet:
    header: list[str] | None = None
    sheet = Sheet(columns=[])
    for number_, cells in enumerate(lines, start=1):
        if header is None:
            if not any(cell.strip() for cell in cells):
                raise Unreadable(say("The first row must be the header: the columns' names."))
            header = _header(cells, limits)
            sheet.columns = header
            continue
        if not any(cell.strip() for cell in cells):
            continue  # an empty row: nothing to import
        if limits.rows is not None and len(sheet.rows) >= limits.rows:
            raise Unreadable(
                say(
                    "The file has more than %(limit)s rows: split it, or import it with the "
                    "command line (tracker import).",
                    limit=number(limits.rows),
                )
            )
        sheet.rows.append(_row(number_, header, cells, limits, sheet.problems))
    if header is None:
        raise Unreadable(say("The file is empty."))
    return sheet


def _header(cells: list[str], limits: Limits) -> list[str]:
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) > limits.columns:
        raise Unreadable(
            say("The file has more than %(limit)s columns.", limit=number(limits.columns))
        )
    for cell in cells:
        if len(cell) > 200 or "\x00" in cell:
            raise Unreadable(say("The first row must be the header: the columns' names."))
    return [header_key(cell) for cell in cells]


def _row(
    number_: int, header: list[str], cells: list[str], limits: Limits, problems: list[Problem]
) -> Row:
    row = Row(number_, {})
    for index, cell in enumerate(cells):
        if index >= len(header) or not header[index]:
            if cell.strip():
                problems.append(
                    Problem(number_, None, say("This row has a value in a column with no header."))
                )
            continue
        key = header[index]
        if len(cell) > limits.cell:
            problems.append(
                Problem(
                    number_,
                    key,
                    say(
                        "The cell is longer than %(limit)s characters.",
                        limit=number(limits.cell),
                    ),
                )
            )
            row.unread.add(key)
            continue
        if "\x00" in cell:
            problems.append(Problem(number_, key, say("The cell holds a NUL character.")))
            row.unread.add(key)
            continue
        row.cells[key] = cell.strip()
    return row
