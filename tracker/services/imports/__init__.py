"""Imports from spreadsheets (CSV or XLSX): opening stock, past sales, shipments,
sections and editions.

A file is read into rows of text (``files``), each kind (``kinds``) reads each row into
values and hands them to the services that make the same records from the forms, with
their rules; every problem is collected with its row (as the spreadsheet numbers it:
the header is row 1) and column. The whole file goes in, in one savepoint, or nothing
does: a preview (``write=False``) runs it all and rolls back. A file that went in is
recorded (``imports``: the SHA-256 of its bytes, unique per kind), and the same file
again is refused, saying when and by whom it went in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import audit
from tracker.domain.accounts import Actor, actor_id, require_role
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.imports import COMMAND_LINE, IMPORTERS, ImportKind, Limits, Problem
from tracker.domain.words import moment, say
from tracker.models import Import, User
from tracker.services.imports import files
from tracker.services.imports.files import Row, Sheet

# Told how many rows were done so far (the command line's progress bar).
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Column:
    """A column a kind reads: its key (the header), whether every row needs it, what
    it means and an example, as the template shows them."""

    key: str
    required: bool
    meaning: str
    example: str = ""


class Problems:
    """Problems found so far, by row and column."""

    def __init__(self, found: list[Problem] | None = None):
        self.found: list[Problem] = list(found or [])

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.found.append(Problem(row, column, message))

    def __bool__(self) -> bool:
        return bool(self.found)

    def at(
        self, row: int | None, column: str | None = None, fields: dict[str, str] | None = None
    ) -> _At:
        """Note a DomainError raised inside as a problem of ``row``, in the column named
        by its field (``fields``: a service's name of a value -> the column) or ``column``."""
        return _At(self, row, column, fields)

    def sorted(self) -> list[Problem]:
        return sorted(self.found, key=lambda p: (p.row or 0, p.column or ""))


class _At:
    """``Problems.at``'s context: a plain class, as it is entered for every cell of
    every row (a generator's context costs several times more)."""

    __slots__ = ("column", "fields", "problems", "row")

    def __init__(
        self,
        problems: Problems,
        row: int | None,
        column: str | None,
        fields: dict[str, str] | None,
    ):
        self.problems, self.row, self.column, self.fields = problems, row, column, fields

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> bool:
        if not isinstance(error, DomainError):
            return False
        named = (self.fields or {}).get(error.field or "") if error.field else None
        self.problems.add(self.row, named or self.column, error.message)
        return True


class Kind:
    """A kind of file: its columns, its example rows, and how its rows are checked and
    written (``load``: problems go to ``problems``; what it made is returned). A kind
    whose rows the audit trail records as a batch (sales: one entry per place, not one
    per sale) puts those entries in ``entries``; ``run`` names the import record, the
    file and its digest in them and writes them with the record."""

    kind: ImportKind

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def load(
        self,
        session: Session,
        actor: Actor | None,
        sheet: Sheet,
        problems: Problems,
        progress: Progress,
        source: str,
        entries: list[audit.Entry],
    ) -> dict[str, Any]:
        raise NotImplementedError

    def required(self, row: Row, key: str, problems: Problems) -> str | None:
        """A required cell's text, or None after noting that it is empty."""
        value = row[key]
        if not value:
            if key in row.unread:
                return None  # said already
            problems.add(row.number, key, say("This column needs a value."))
            return None
        return value


@dataclass
class Outcome:
    """What an import did (``written``) or would do: what it made (``made``), or its
    problems (then nothing was written)."""

    kind: ImportKind
    digest: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    made: dict[str, Any] = field(default_factory=dict)
    written: bool = False
    record_id: int | None = None


def kind_of(name: str) -> Kind:
    from tracker.services.imports.kinds import KINDS

    try:
        return KINDS[ImportKind(name)]
    except ValueError:
        raise NotFound(
            say(
                "There is no kind of import %(kind)s: %(known)s.",
                kind=repr(name),
                known=", ".join(k.value for k in ImportKind),
            )
        ) from None


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def may_import(actor: Actor | None, kind: ImportKind) -> None:
    require_role(
        actor,
        IMPORTERS[kind],
        say("You may not import %(kind)s.", kind=kind.label),
    )


def run(
    session: Session,
    actor: Actor | None,
    kind_name: str,
    data: bytes,
    *,
    filename: str | None = None,
    limits: Limits = COMMAND_LINE,
    write: bool = True,
    progress: Callable[[int], Progress] | None = None,
) -> Outcome:
    """Import ``data`` as a file of ``kind_name``: all of it, or (any problem) nothing.
    ``write=False``: check everything as if writing, and write nothing (a preview).
    ``progress``: given the number of rows once the file is read, what to tell of the
    rows done (a progress bar)."""
    kind = kind_of(kind_name)
    may_import(actor, kind.kind)
    outcome = Outcome(kind.kind, digest_of(data))
    earlier = _imported_before(session, kind.kind, outcome.digest)
    if earlier:
        outcome.problems = [Problem(None, None, earlier)]
        return outcome
    try:
        sheet = files.read(data, filename, limits)
    except files.Unreadable as unreadable:
        outcome.problems = [unreadable.problem]
        return outcome
    outcome.rows = len(sheet.rows)
    problems = Problems()
    _check_header(kind, sheet, problems)
    if problems:
        outcome.problems = problems.sorted()
        return outcome
    # Cells that could not be read: each row's other cells are still checked.
    problems.found += sheet.problems
    if not sheet.rows:
        outcome.problems = [Problem(None, None, say("The file has a header but no rows."))]
        return outcome
    savepoint = session.begin_nested()
    try:
        step = progress(len(sheet.rows)) if progress else (lambda n: None)
        entries: list[audit.Entry] = []
        made = kind.load(session, actor, sheet, problems, step, filename or "", entries)
        if not problems:
            outcome.record_id = _record(session, actor, kind, outcome, filename, made)
            audit.record_all(session, [_naming(entry, outcome, filename) for entry in entries])
    except BaseException:
        savepoint.rollback()
        raise
    if problems or not write:
        savepoint.rollback()
        outcome.record_id = None
    else:
        savepoint.commit()
    outcome.problems = problems.sorted()
    outcome.made = made if not problems else {}
    outcome.written = write and not problems
    return outcome


def _naming(entry: audit.Entry, outcome: Outcome, filename: str | None) -> audit.Entry:
    """An entry of the import's: about its record, saying which file went in (its name
    and SHA-256), before what the kind says."""
    return replace(
        entry,
        object_type="import",
        object_id=outcome.record_id,
        after={
            "import": outcome.record_id,
            "file": filename or None,
            "sha256": outcome.digest,
            **(entry.after or {}),
        },
    )


def _check_header(kind: Kind, sheet: Sheet, problems: Problems) -> None:
    known = {column.key for column in kind.columns()}
    seen: set[str] = set()
    for key in sheet.columns:
        if key and key not in known:
            problems.add(
                1,
                key,
                say(
                    "There is no column %(column)s in a file of %(kind)s: the columns are "
                    "%(known)s.",
                    column=repr(key),
                    kind=kind.kind.label,
                    known=", ".join(column.key for column in kind.columns()),
                ),
            )
        elif key in seen:
            problems.add(1, key, say("The column %(column)s is there twice.", column=repr(key)))
        seen.add(key)
    for column in kind.columns():
        if column.required and column.key not in seen:
            problems.add(
                1, column.key, say("The column %(column)s is missing.", column=repr(column.key))
            )


def _imported_before(session: Session, kind: ImportKind, digest: str) -> str | None:
    found = session.execute(
        select(Import.created_at, User.email)
        .outerjoin(User, User.id == Import.created_by_id)
        .where(Import.kind == kind.value, Import.digest == digest)
    ).first()
    if found is None:
        return None
    return say(
        "This file was imported already, on %(when)s by %(who)s: the same file goes in once.",
        when=moment(found.created_at),
        who=found.email or say("the command line"),
    )


def _record(
    session: Session,
    actor: Actor | None,
    kind: Kind,
    outcome: Outcome,
    filename: str | None,
    made: dict[str, Any],
) -> int:
    record = Import(
        kind=kind.kind.value,
        digest=outcome.digest,
        filename=(filename or "")[-255:] or None,
        rows=outcome.rows,
        made=made,
        created_by_id=actor_id(actor),
    )
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # The same file went in meanwhile, from another request.
        raise DomainError(
            _imported_before(session, kind.kind, outcome.digest) or "imported already"
        ) from None
    return record.id
