"""The tracker's tables, one module per area. Importing this package registers them all
on ``tracker.db.Base.metadata`` (which migrations compare against)."""

from tracker.models.catalogue import Author, Edition, EditionFormat, Title, title_authors
from tracker.models.places import (
    PHYSICAL_KINDS,
    SOURCE_KINDS,
    Country,
    Location,
    LocationKind,
    Section,
)
from tracker.models.stock import Balance, Condition, Document, Move, MoveKind

__all__ = [
    "PHYSICAL_KINDS",
    "SOURCE_KINDS",
    "Author",
    "Balance",
    "Condition",
    "Country",
    "Document",
    "Edition",
    "EditionFormat",
    "Location",
    "LocationKind",
    "Move",
    "MoveKind",
    "Section",
    "Title",
    "title_authors",
]
