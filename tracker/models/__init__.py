"""The tracker's tables, one module per area. Importing this package registers them all
on ``tracker.db.Base.metadata`` (which migrations compare against)."""

from tracker.models.accounts import AuditEntry, AuditLink, Role, User, audit_sections
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
    SaleTally,
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
from tracker.models.settings import Settings
from tracker.models.stock import (
    Balance,
    Condition,
    Document,
    FlowMetric,
    Move,
    MoveKind,
    WeeklyFlow,
)

# Tables whose rows nobody may change or delete: triggers refuse it, and the app's own
# database role may only read and add to them (``tracker db grant``).
APPEND_ONLY_TABLES = ("moves", "audit_log", "audit_sections", "audit_chain")

__all__ = [
    "APPEND_ONLY_TABLES",
    "PHYSICAL_KINDS",
    "SOURCE_KINDS",
    "AuditEntry",
    "AuditLink",
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
    "FlowMetric",
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
    "SaleTally",
    "Section",
    "SectionPrice",
    "Settings",
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
    "WeeklyFlow",
    "WriteOff",
    "WriteOffReason",
    "audit_sections",
    "signing_authors",
    "title_authors",
]

# The audit trail's flush hook, on every session (imported last: it uses the models).
from tracker import audit as _audit  # noqa: E402, F401
