"""Exports of the tracker's tables, as people open them in a spreadsheet: CSV and XLSX.

Every report table offers both, with the same numbers as its page. Rows are taken from
an iterator, one at a time, so that an export of a hundred thousand rows never holds
its table in memory. A big table is given as a function that reads its rows from a
session (in chunks, with one query per chunk at most): CSV calls it while the file is
being sent, in a read-only session of its own, and streams what it writes; XLSX calls
it with the request's session and writes the workbook with openpyxl in write-only mode
into a temporary file, which is then sent.

Every text cell, headers included, in both formats:

* loses the characters XML 1.0 cannot hold (control characters other than tab, line
  feed and carriage return; U+FFFE and U+FFFF): they would make openpyxl refuse the
  whole file. A vertical tab or a form feed (a line or page break pasted from a word
  processor) becomes a line break; the others are dropped;
* is made plain text with a leading apostrophe when a spreadsheet would run it as a
  formula: it starts with = + - @ or one of their fullwidth and small forms (U+FF1D,
  U+FF0B, U+FF0D, U+FF20...: the same signs once normalised, NFKC), possibly after
  invisible characters (zero width spaces, byte order marks, other format characters
  and spaces, control characters), or it starts with a tab or a carriage return.

Numbers, dates and times are left as they are (a negative number stays a number).

Words are the reader's in XLSX and the same for everyone in CSV: a column's name, or a
word in a table's cells (the figures of an event's report: "brought", "takings"), is a
``Heading`` (made by ``column``, or ``worded`` for a sentence a function says), which CSV
writes as its key (``brought``) and XLSX says in the reader's language.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Response, current_app, request
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy.orm import Session

from tracker.db import Database, db
from tracker.domain.errors import BadRequest
from tracker.domain.words import say


class Heading(str):
    """A column's name, or a word of a table's cells: its key in CSV, the same for every
    reader (``sent on``, ``brought``); in XLSX, said in the reader's language. ``column``
    makes one, ``worded`` one that a function says."""

    message: str
    values: dict[str, object]
    speak: Callable[[], str] | None = None

    def said(self) -> str:
        if self.speak is not None:
            return self.speak()
        from flask_babel import gettext

        text = gettext(self.message)
        if not self.values:
            return text
        return text % {k: v.said() if isinstance(v, Heading) else v for k, v in self.values.items()}


def column(message: str, /, **values: object) -> Heading:
    """A column's name, or a word of the cells (``%(name)s`` values put in, themselves
    headings or not), marked for the catalogues."""
    heading = Heading(message % values if values else message)
    heading.message = message
    heading.values = values
    return heading


def worded(key: str, speak: Callable[[], str]) -> Heading:
    """A cell that CSV writes as ``key`` and XLSX as ``speak()`` says it, in the
    reader's language (a sentence with a plural, money as the reader writes it)."""
    heading = Heading(key)
    heading.message = key
    heading.values = {}
    heading.speak = speak
    return heading


# The rows of an export: the rows, or a function that reads them from a session.
Rows = Iterable[Sequence[object]] | Callable[[Session], Iterable[Sequence[object]]]

FORMATS = ("csv", "xlsx")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Signs that start a formula, once a character is normalised (fullwidth U+FF1D is =).
_SIGNS = frozenset("=+-@")
# A cell starting with one of these is run, or split, by some spreadsheets.
_LEADING = ("\t", "\r")
# Unicode categories that show nothing: control, format (zero width space, BOM, word
# joiner, direction marks...), and the separators (spaces, line and paragraph).
_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
# Letters that show nothing (Hangul fillers).
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")

# What XML 1.0 cannot hold: openpyxl's own list of control characters, and the two
# non-characters U+FFFE and U+FFFF.
_ILLEGAL = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ufffe\uffff]")
_BREAKS = {"\x0b": "\n", "\x0c": "\n"}

# CSV is sent in pieces of about this many characters.
CSV_CHUNK = 64 * 1024


def _clean(value: str) -> str:
    """``value`` without the characters an XLSX file cannot hold."""
    if value.isprintable() or _ILLEGAL.search(value) is None:
        return value
    return _ILLEGAL.sub(lambda m: _BREAKS.get(m.group(), ""), value)


def is_formula(value: str) -> bool:
    """Whether a spreadsheet would read ``value`` as a formula (or split it)."""
    if not value:
        return False
    first = value[0]
    if first in _LEADING:
        return True
    if " " < first < "\x7f":  # the common case: a visible ASCII character
        return first in _SIGNS
    for char in value:
        if char in _SIGNS or unicodedata.normalize("NFKC", char) in _SIGNS:
            return True
        if unicodedata.category(char) in _INVISIBLE or char in _FILLERS:
            continue
        return False
    return False


def text(value: str) -> str:
    """A text cell as both formats write it: cleaned, and made plain text if it would be
    read as a formula."""
    value = _clean(value)
    return "'" + value if is_formula(value) else value


def cell(value: object) -> object:
    """A value safe in a CSV file: text cleaned and neutralised, times as ISO text;
    numbers are left alone."""
    if value is None:
        return ""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _xlsx_cell(value: object) -> object:
    """A value as an XLSX cell: numbers and dates keep their type, text is neutralised."""
    if value is None:
        return None
    if isinstance(value, Heading):
        return text(value.said())
    if isinstance(value, str):
        return text(value)
    if isinstance(value, datetime):
        # Spreadsheets know no time zones: UTC, as the pages show it.
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        return say("yes") if value else say("no")
    if isinstance(value, int | float | Decimal | date):
        return value
    return text(str(value))


def _disposition(response: Response, filename: str) -> Response:
    # Werkzeug quotes the name, and adds an RFC 5987 form for names beyond ASCII.
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


def csv_chunks(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The CSV file, header first, in pieces of about ``CSV_CHUNK`` characters."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheets read UTF-8
    writer = csv.writer(buffer)
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
        if buffer.tell() >= CSV_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _streamed(
    header: Sequence[object], rows: Callable[[Session], Iterable[Sequence[object]]]
) -> Iterator[str]:
    """The CSV file of ``rows(session)``, read in a read-only session of its own that is
    opened when the first piece is asked for and closed after the last (or when the
    client goes away): the request's own session has ended by then."""
    factory = current_app.extensions[Database.extension_key].read_session_factory

    def pieces() -> Iterator[str]:
        session = factory()
        try:
            yield from csv_chunks(header, rows(session))
        finally:
            session.close()

    return pieces()


def csv_response(filename: str, header: Sequence[object], rows: Rows) -> Response:
    """A CSV download. Rows given as a function of a session are streamed: read and
    sent a chunk at a time while the file goes out; rows given as such (a list, rows
    already loaded) are written out at once."""
    if callable(rows):
        body: Iterable[str] = _streamed(header, rows)
    else:
        body = list(csv_chunks(header, rows))
    return _disposition(Response(body, mimetype="text/csv"), filename)


def sheet_title(title: str) -> str:
    """A sheet's name as spreadsheets accept it: at most 31 characters, none of
    []:*?/\\ nor a control character, no apostrophe at either end."""
    cleaned = re.sub(r"[\[\]:*?/\\\s]", " ", _clean(title))
    return cleaned.strip().strip("'")[:31].strip() or "Sheet"


def write_xlsx(
    target, header: Sequence[object], rows: Iterable[Sequence[object]], title: str
) -> None:
    """Write the table into ``target`` (a binary file) as an XLSX workbook, a row at a
    time (openpyxl's write-only mode keeps no table in memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    bold = Font(bold=True)
    heading = []
    for name in header:
        said = name.said() if isinstance(name, Heading) else str(name)
        c = WriteOnlyCell(sheet, value=text(said))
        c.font = bold
        heading.append(c)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    book.save(target)


def _read(spool, size: int = 256 * 1024) -> Iterator[bytes]:
    """A file's bytes in pieces; the file is closed (and, being temporary, deleted) at
    the end, or when the response is closed before."""
    try:
        while piece := spool.read(size):
            yield piece
    finally:
        spool.close()


def xlsx_response(
    filename: str, header: Sequence[object], rows: Iterable[Sequence[object]], title: str
) -> Response:
    """An XLSX download: the workbook is written into a temporary file, then sent from
    it."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed once sent
    try:
        write_xlsx(spool, header, rows, title)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = Response(_read(spool), mimetype=_XLSX, direct_passthrough=True)
    response.content_length = size
    return _disposition(response, filename)


def requested_format() -> str | None:
    """The export asked for in ``?format=``, None for the page itself."""
    fmt = request.args.get("format")
    if fmt is None or fmt == "":
        return None
    if fmt not in FORMATS:
        raise BadRequest(
            say(
                "There is no export as %(format)s: ask for format=csv or format=xlsx.",
                format=repr(fmt),
            )
        )
    return fmt


def export(stem: str, header: Sequence[object], rows: Rows, *, title: str = "") -> Response | None:
    """The table as a download in the format the request asked for, or None when it
    asked for the page.

    ``rows`` is read once, a row at a time: either the rows themselves, or a function
    that reads them from the session it is given (a generator of rows: the big tables).
    A CSV export calls it, while the file is sent, with a session of its own; an XLSX
    export with the request's session.
    """
    fmt = requested_format()
    if fmt is None:
        return None
    if fmt == "csv":
        return csv_response(f"{stem}.csv", header, rows)
    if callable(rows):
        rows = rows(db.session)
    return xlsx_response(f"{stem}.xlsx", header, rows, title or stem)
