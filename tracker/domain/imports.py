"""What may be imported from a spreadsheet, and the limits on what is read."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.domain.accounts import Role
from tracker.domain.text import Words
from tracker.domain.words import say, say_mark


class ImportKind(Words):
    OPENING_STOCK = "opening-stock"
    SALES = "sales"
    SHIPMENTS = "shipments"
    SECTIONS = "sections"
    EDITIONS = "editions"

    @property
    def label(self) -> str:
        return say(self.value.replace("-", " "))


# The kinds as people read them (``ImportKind.label``), for the catalogues.
_LABELS = (
    say_mark("opening stock"),
    say_mark("sales"),
    say_mark("shipments"),
    say_mark("sections"),
    say_mark("editions"),
)


# Who may import each kind (a treasurer: only for their own section).
IMPORTERS = {
    ImportKind.OPENING_STOCK: frozenset({Role.ADMIN, Role.DISTRIBUTOR, Role.TREASURER}),
    # Sales are a section's, as on the sale screen (tracker.services.events: runners).
    ImportKind.SALES: frozenset({Role.ADMIN, Role.TREASURER}),
    ImportKind.SHIPMENTS: frozenset({Role.ADMIN, Role.DISTRIBUTOR}),
    # The catalogue and the sections are the admins' (as on their forms).
    ImportKind.SECTIONS: frozenset({Role.ADMIN}),
    ImportKind.EDITIONS: frozenset({Role.ADMIN}),
}
ANY_IMPORTER = frozenset().union(*IMPORTERS.values())


@dataclass(frozen=True)
class Limits:
    """What a file may hold. ``size`` and ``rows``: None is no limit (the command line)."""

    size: int | None = None
    rows: int | None = None
    columns: int = 40
    cell: int = 2000


# A file sent from the browser: 2 MB (what the app takes in one request,
# ``MAX_CONTENT_LENGTH``) and 50,000 rows; the command line takes any size.
BROWSER = Limits(size=2 * 1024 * 1024, rows=50_000)
COMMAND_LINE = Limits()


@dataclass(frozen=True)
class Problem:
    """What is wrong in a file: at a row as the person sees it in their spreadsheet (the
    header is row 1; None: the whole file) and a column (its key; None: the whole row)."""

    row: int | None
    column: str | None
    message: str


def header_key(text: str) -> str:
    """A column's key as a header may write it: ``Copies``, `` copies ``, ``Price per
    copy`` (``price_per_copy``), ``opening-stock``."""
    return "_".join(text.strip().lower().replace("-", " ").split())
