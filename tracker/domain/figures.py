"""The dashboard's figures, on plain values: what each kind of place adds to a section's
row from its positions and its weekly roll-up, the rows of countries and their totals,
sell-through and weeks of cover, and the alerts they raise.

* received: copies that arrived at the section's places (receipts of shipments, print
  runs straight to a section) in the period;
* in transit, on hand: where copies were at the end of the period; in transit counts
  the copies on their way to the section and those it sent back that the warehouse has
  not received yet (they are still the section's to account for);
* sold: sales less voids and customers' returns, in the period; signed: copies signed;
  written off: written off from the section's stock; lost in transit: damaged or
  missing on receipt;
* how on hand adds up, over the period: on hand at its start + received - sold -
  written off - sent back (returns to the publisher) + from other sections (transfers,
  net) + stocktake differences (net) = on hand at its end, for every row;
* sell-through: sold / received, in the period;
* weeks of cover: on hand / the average weekly sales over the period's last four weeks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tracker.domain.periods import RECENT_WEEKS
from tracker.domain.places import PHYSICAL_KINDS, LocationKind
from tracker.domain.stock import FlowMetric
from tracker.domain.text import short_day
from tracker.domain.words import number, say, say_n

K = LocationKind
M = FlowMetric

# The copies a row of the dashboard counts (a total adds them up).
COUNTS = (
    "received",
    "in_transit",
    "on_hand_unsigned",
    "on_hand_signed",
    "sold_unsigned",
    "sold_signed",
    "signed",
    "written_off",
    "recent_sold",
    "on_hand_at_start",
    "lost_in_transit",
    "sent_back",
    "transferred",
    "counted",
)


@dataclass
class Figures:
    """One row of the dashboard: a section, a country, or a total."""

    received: int = 0
    in_transit: int = 0
    on_hand_unsigned: int = 0
    on_hand_signed: int = 0
    sold_unsigned: int = 0
    sold_signed: int = 0
    signed: int = 0
    written_off: int = 0
    # Copies sold in the period's last four weeks.
    recent_sold: int = 0
    # How on hand came to be: what was there when the period began, and what went out
    # of or came into the section's places besides receipts, sales and write-offs.
    on_hand_at_start: int = 0
    lost_in_transit: int = 0
    sent_back: int = 0
    # Net: from other sections (+) or to them (-); found (+) or short (-) at counts.
    transferred: int = 0
    counted: int = 0
    # In the publisher's currency; None when no section's balance could be converted
    # (its currency has no rate), or there is no section.
    outstanding_minor: int | None = None
    # The sections whose outstanding balance could not be converted.
    unconverted: list[str] = field(default_factory=list)

    @property
    def on_hand(self) -> int:
        return self.on_hand_unsigned + self.on_hand_signed

    @property
    def sold(self) -> int:
        return self.sold_unsigned + self.sold_signed

    @property
    def on_hand_reckoned(self) -> int:
        """On hand at the end, as the period's figures reckon it from its start."""
        return (
            self.on_hand_at_start
            + self.received
            - self.sold
            - self.written_off
            - self.sent_back
            + self.transferred
            + self.counted
        )

    @property
    def sell_through(self) -> Decimal | None:
        """Sold / received in the period (a fraction), None when nothing was received."""
        if self.received <= 0:
            return None
        return Decimal(self.sold) / Decimal(self.received)

    @property
    def weekly_sales(self) -> Decimal:
        return Decimal(self.recent_sold) / RECENT_WEEKS

    @property
    def weeks_of_cover(self) -> Decimal | None:
        """On hand / average weekly sales of the last four weeks; None: no recent sales."""
        if self.recent_sold <= 0:
            return None
        return (Decimal(self.on_hand) / self.weekly_sales).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def add(self, other: Figures) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        # A total leaves out the sections it could not convert, and names them.
        self.unconverted += other.unconverted
        if other.outstanding_minor is not None:
            self.outstanding_minor = (self.outstanding_minor or 0) + other.outstanding_minor

    def count_place(self, kind: str, held: tuple[int, int], flows: Mapping[str, int]) -> None:
        """Add what one of the section's places counts: ``held`` (unsigned, signed) at
        the period's end, ``flows`` its roll-up over the period by metric."""
        unsigned, signed = held
        self.received += flows.get(M.RECEIVED, 0)
        self.signed += flows.get(M.SIGNED, 0)
        if kind in PHYSICAL_KINDS:
            self.on_hand_unsigned += unsigned
            self.on_hand_signed += signed
            moved = flows.get(M.HELD_UNSIGNED, 0) + flows.get(M.HELD_SIGNED, 0)
            self.on_hand_at_start += unsigned + signed - moved
            self.sent_back += flows.get(M.DISPATCHED, 0)
            self.transferred += flows.get(M.TRANSFERRED, 0)
            self.counted += flows.get(M.COUNTED, 0)
        elif kind == K.IN_TRANSIT:
            self.in_transit += unsigned + signed
        elif kind == K.CUSTOMERS:
            self.sold_unsigned += flows.get(M.SOLD_UNSIGNED, 0)
            self.sold_signed += flows.get(M.SOLD_SIGNED, 0)
        elif kind == K.WRITTEN_OFF:
            self.written_off += flows.get(M.WRITTEN_OFF, 0)
            self.lost_in_transit += flows.get(M.LOST_IN_TRANSIT, 0)


@dataclass
class World:
    """The publisher's view over the period: printed, where copies were at its end,
    and what was sold and signed everywhere."""

    printed: int = 0
    in_warehouse: int = 0
    in_transit: int = 0
    with_sections: int = 0
    sold: int = 0
    signed: int = 0

    def count_place(self, kind: str, held: tuple[int, int], flows: Mapping[str, int]) -> None:
        copies = sum(held)
        self.sold += flows.get(M.SOLD_UNSIGNED, 0) + flows.get(M.SOLD_SIGNED, 0)
        self.signed += flows.get(M.SIGNED, 0)
        if kind == K.WAREHOUSE:
            self.in_warehouse += copies
        elif kind == K.IN_TRANSIT:
            self.in_transit += copies
        elif kind in PHYSICAL_KINDS:
            self.with_sections += copies


@dataclass
class Row:
    """A country (its sections under it) or one section."""

    key: str
    name: str
    country: Any
    section: Any | None
    figures: Figures = field(default_factory=Figures)
    sections: list[Row] = field(default_factory=list)
    # Copies sold, week by week over the period.
    weekly: list[int] = field(default_factory=list)

    @property
    def the_section(self) -> Any:
        """The section of a section's row (a country's row has none)."""
        if self.section is None:
            raise ValueError(f"{self.name}'s row is a country's, not a section's")
        return self.section


def by_country(section_rows: list[Row], weeks: int) -> list[Row]:
    """A row per country, its sections under it, its figures and weeks their sums."""
    countries: dict[str, Row] = {}
    for row in sorted(section_rows, key=lambda r: (r.country.name, r.name)):
        country = countries.get(row.country.code)
        if country is None:
            country = countries[row.country.code] = Row(
                key=row.country.code,
                name=row.country.name,
                country=row.country,
                section=None,
                weekly=[0] * weeks,
            )
        country.sections.append(row)
        country.figures.add(row.figures)
        country.weekly = [a + b for a, b in zip(country.weekly, row.weekly, strict=True)]
    return list(countries.values())


def total(rows: list[Row]) -> Figures:
    figures = Figures()
    for row in rows:
        figures.add(row.figures)
    return figures


# -- alerts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Below these, a section is flagged: weeks of cover, copies on hand. None: no such
    alert; 0 turns one off for a section."""

    weeks_of_cover: int | None = None
    copies: int | None = None

    def over(self, defaults: Thresholds) -> Thresholds:
        """These thresholds, each falling back to the default where not set."""
        return Thresholds(
            self.weeks_of_cover if self.weeks_of_cover is not None else defaults.weeks_of_cover,
            self.copies if self.copies is not None else defaults.copies,
        )


@dataclass
class Alert:
    kind: str  # low_cover, low_stock, overdue_shipment, event_without_stock
    message: str
    section: Any
    # What to open: ('shipments.detail', {'shipment_id': 7}) and such.
    link: tuple[str, dict] | None = None


def stock_alerts(row: Row, limits: Thresholds, period_end: date) -> list[Alert]:
    """A section's alerts of cover and stock, by its thresholds."""
    section, f = row.the_section, row.figures
    link = ("dashboard.section", {"section_id": section.id})
    alerts = []
    cover = f.weeks_of_cover
    if limits.weeks_of_cover and cover is not None and cover < limits.weeks_of_cover:
        alerts.append(
            Alert(
                "low_cover",
                say(
                    "%(section)s: %(cover)s weeks of cover at the last four weeks' pace "
                    "(%(on_hand)s on hand, %(weekly)s sold a week); the threshold is "
                    "%(threshold)s.",
                    section=section.name,
                    cover=cover,
                    on_hand=number(f.on_hand),
                    weekly=f"{f.weekly_sales:.1f}",
                    threshold=limits.weeks_of_cover,
                ),
                section,
                link,
            )
        )
    if limits.copies and f.on_hand < limits.copies:
        alerts.append(
            Alert(
                "low_stock",
                say_n(
                    "%(section)s: %(n)s copy on hand at %(day)s; the threshold is %(threshold)s.",
                    "%(section)s: %(n)s copies on hand at %(day)s; the threshold is %(threshold)s.",
                    f.on_hand,
                    n=number(f.on_hand),
                    section=section.name,
                    day=short_day(period_end),
                    threshold=number(limits.copies),
                ),
                section,
                link,
            )
        )
    return alerts
