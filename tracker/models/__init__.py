"""The tracker's tables, one module per area. Importing this package registers them all
on ``tracker.db.Base.metadata`` (which migrations compare against)."""

from tracker.models.accounts import AuditEntry, Role, User, audit_sections
from tracker.models.catalogue import Author, Edition, EditionFormat, Title, title_authors
from tracker.models.distribution import (
    Direction,
    DiscrepancyReason,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    Stocktake,
    StocktakeLine,
    Terms,
    Transfer,
    WriteOff,
    WriteOffReason,
)
from tracker.models.events import (
    Dedication,
    Event,
    EventKind,
    EventStatus,
    ExchangeRate,
    PaymentMethod,
    Remittance,
    Sale,
    SaleLine,
    SectionPrice,
    Signing,
    signing_authors,
)
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
    "Dedication",
    "Direction",
    "DiscrepancyReason",
    "Document",
    "Edition",
    "EditionFormat",
    "Event",
    "EventKind",
    "EventStatus",
    "ExchangeRate",
    "Location",
    "LocationKind",
    "Move",
    "MoveKind",
    "PaymentMethod",
    "Receipt",
    "ReceiptLine",
    "Remittance",
    "Role",
    "Sale",
    "SaleLine",
    "Section",
    "SectionPrice",
    "Shipment",
    "ShipmentLine",
    "ShipmentStatus",
    "Signing",
    "Stocktake",
    "StocktakeLine",
    "Terms",
    "Title",
    "Transfer",
    "User",
    "WriteOff",
    "WriteOffReason",
    "audit_sections",
    "signing_authors",
    "title_authors",
]

# The audit trail's flush hook, on every session (imported last: it uses the models).
from tracker import audit as _audit  # noqa: F401
