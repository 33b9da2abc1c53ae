"""Where copies can be, as the rules see it: the kinds of place.

Physical places (the warehouse, a section's store, an event's table) hold copies you can
touch; virtual ones are the world outside, seen from the ledger (the printer, in
transit, customers, written off, stocktake differences). Sources are the two virtual
kinds whose balance may go negative because copies come *from* them into the world."""

from __future__ import annotations

from enum import StrEnum

from tracker.domain.words import say, say_mark


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    SECTION_STORE = "section_store"
    EVENT_TABLE = "event_table"
    PRINTER = "printer"
    IN_TRANSIT = "in_transit"
    CUSTOMERS = "customers"
    WRITTEN_OFF = "written_off"
    STOCKTAKE_DIFFERENCES = "stocktake_differences"

    @property
    def label(self) -> str:
        return say(KIND_LABELS[self])


# Each kind's name in English; ``label`` says it in the reader's language.
KIND_LABELS = {
    LocationKind.WAREHOUSE: say_mark("warehouse"),
    LocationKind.SECTION_STORE: say_mark("section store"),
    LocationKind.EVENT_TABLE: say_mark("event table"),
    LocationKind.PRINTER: say_mark("printer"),
    LocationKind.IN_TRANSIT: say_mark("in transit"),
    LocationKind.CUSTOMERS: say_mark("customers"),
    LocationKind.WRITTEN_OFF: say_mark("written off"),
    LocationKind.STOCKTAKE_DIFFERENCES: say_mark("stocktake differences"),
}

PHYSICAL_KINDS = frozenset(
    {LocationKind.WAREHOUSE, LocationKind.SECTION_STORE, LocationKind.EVENT_TABLE}
)
SOURCE_KINDS = frozenset({LocationKind.PRINTER, LocationKind.STOCKTAKE_DIFFERENCES})
VIRTUAL_KINDS = frozenset(LocationKind) - PHYSICAL_KINDS
# Virtual locations every section has of its own, so that what is in transit to a
# country, sold there or written off there is one balance away.
SECTION_VIRTUAL_KINDS = (
    LocationKind.IN_TRANSIT,
    LocationKind.CUSTOMERS,
    LocationKind.WRITTEN_OFF,
    LocationKind.STOCKTAKE_DIFFERENCES,
)

# Virtual places of a section deal only with that section's own places (its customers
# buy from its tables; its written-off copies were its own). Those of no section belong
# with the warehouse.
SECTION_BOUND_KINDS = frozenset(
    {LocationKind.CUSTOMERS, LocationKind.WRITTEN_OFF, LocationKind.STOCKTAKE_DIFFERENCES}
)
