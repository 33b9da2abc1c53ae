"""Every kind of file the tracker imports."""

from __future__ import annotations

from tracker.domain.imports import ImportKind
from tracker.services.imports import Kind
from tracker.services.imports.records import EditionsKind, SectionsKind, ShipmentsKind
from tracker.services.imports.sales import SalesKind
from tracker.services.imports.stock import OpeningStockKind

KINDS: dict[ImportKind, Kind] = {
    ImportKind.OPENING_STOCK: OpeningStockKind(),
    ImportKind.SALES: SalesKind(),
    ImportKind.SHIPMENTS: ShipmentsKind(),
    ImportKind.SECTIONS: SectionsKind(),
    ImportKind.EDITIONS: EditionsKind(),
}
