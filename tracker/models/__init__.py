"""The tracker's tables, one module per area. Importing this package registers them all
on ``tracker.db.Base.metadata`` (which migrations compare against)."""

from tracker.db import Base
from tracker.models.accounts import AuditEntry, AuditLink, User, audit_sections
from tracker.models.api import IdempotentRequest
from tracker.models.catalogue import Author, Edition, EditionListPrice, Title, title_authors
from tracker.models.distribution import (
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
    Stocktake,
    StocktakeLine,
    Transfer,
    WriteOff,
)
from tracker.models.events import (
    Dedication,
    Event,
    ExchangeRate,
    Remittance,
    Sale,
    SaleLine,
    SaleTally,
    SectionPrice,
    Signing,
    Tally,
    signing_authors,
)
from tracker.models.imports import Import
from tracker.models.mail import MailMessage
from tracker.models.notifications import NotificationSetting
from tracker.models.places import ClosedMonth, Country, Location, Section
from tracker.models.resets import PasswordReset
from tracker.models.settings import Settings
from tracker.models.stock import Balance, Document, Move, WeeklyFlow
from tracker.models.tokens import ApiToken
from tracker.models.triggers import APPEND_ONLY, attach

# Tables whose rows nobody may change or delete: triggers refuse it (declared in
# ``tracker.models.triggers``), and the app's own database role may only read and add to
# them (``tracker db grant``).
APPEND_ONLY_TABLES = tuple(spec.table for spec in APPEND_ONLY)
attach(Base.metadata)

__all__ = [
    "APPEND_ONLY_TABLES",
    "ApiToken",
    "AuditEntry",
    "AuditLink",
    "Author",
    "Balance",
    "ClosedMonth",
    "Country",
    "Dedication",
    "Document",
    "Edition",
    "EditionListPrice",
    "Event",
    "ExchangeRate",
    "IdempotentRequest",
    "Import",
    "Location",
    "MailMessage",
    "Move",
    "NotificationSetting",
    "PasswordReset",
    "Receipt",
    "ReceiptLine",
    "Remittance",
    "Sale",
    "SaleLine",
    "SaleTally",
    "Section",
    "SectionPrice",
    "Settings",
    "Shipment",
    "ShipmentLine",
    "Signing",
    "Stocktake",
    "StocktakeLine",
    "Tally",
    "Title",
    "Transfer",
    "User",
    "WeeklyFlow",
    "WriteOff",
    "audit_sections",
    "signing_authors",
    "title_authors",
]

# The audit trail's flush hook, on every session (imported last: it uses the models).
from tracker import audit as _audit  # noqa: E402, F401
