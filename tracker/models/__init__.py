"""The tracker's tables, one module per area. Importing this package registers them all
on ``tracker.db.Base.metadata`` (which migrations compare against)."""

from tracker.models.accounts import AuditEntry, Role, User, audit_sections
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
    "AuditEntry",
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
    "Role",
    "Section",
    "Title",
    "User",
    "audit_sections",
    "title_authors",
]

# The audit trail's flush hook, on every session (imported last: it uses the models).
from tracker import audit as _audit  # noqa: F401
