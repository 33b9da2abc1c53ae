"""The dashboard's figures on plain values: what each kind of place adds to a row, how
a row adds up, rows of countries, cover and the alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.domain.figures import Figures, Row, Thresholds, World, by_country, stock_alerts, total
from tracker.domain.places import LocationKind as K
from tracker.domain.stock import FlowMetric as M


@dataclass
class Country:
    code: str
    name: str


@dataclass
class Section:
    id: int
    name: str


def _section_row(section: Section, country: Country, **figures: int) -> Row:
    return Row(str(section.id), section.name, country, section, Figures(**figures), weekly=[0, 0])


def test_each_kind_of_place_adds_its_own_figures_and_the_row_adds_up():
    f = Figures()
    # The store: 40 at the end, 10 more than at the start; copies in and out of it.
    f.count_place(
        K.SECTION_STORE,
        (38, 2),
        {M.HELD_UNSIGNED: 12, M.HELD_SIGNED: -2, M.RECEIVED: 30, M.DISPATCHED: 5, M.COUNTED: -1},
    )
    f.count_place(K.CUSTOMERS, (0, 0), {M.SOLD_UNSIGNED: 11, M.SOLD_SIGNED: 2})
    f.count_place(K.WRITTEN_OFF, (0, 0), {M.WRITTEN_OFF: 1, M.LOST_IN_TRANSIT: 3})
    f.count_place(K.IN_TRANSIT, (7, 0), {})
    assert (f.on_hand, f.on_hand_at_start, f.received, f.sold) == (40, 30, 30, 13)
    assert (f.written_off, f.lost_in_transit, f.sent_back, f.counted, f.in_transit) == (
        1,
        3,
        5,
        -1,
        7,
    )
    assert f.on_hand_reckoned == 30 + 30 - 13 - 1 - 5 - 1 == f.on_hand


def test_the_world_counts_every_place():
    world = World()
    world.count_place(K.WAREHOUSE, (100, 0), {})
    world.count_place(K.IN_TRANSIT, (20, 0), {})
    world.count_place(K.SECTION_STORE, (30, 5), {M.SIGNED: 5})
    world.count_place(K.CUSTOMERS, (0, 0), {M.SOLD_UNSIGNED: 4})
    assert (world.in_warehouse, world.in_transit, world.with_sections) == (100, 20, 35)
    assert (world.sold, world.signed) == (4, 5)


def test_cover_and_sell_through():
    f = Figures(received=50, sold_unsigned=10, on_hand_unsigned=40, recent_sold=8)
    assert f.sell_through == Decimal("0.2")
    assert f.weekly_sales == 2 and f.weeks_of_cover == Decimal("20.0")
    assert Figures().weeks_of_cover is None and Figures().sell_through is None


def test_countries_add_up_their_sections():
    gb, se = Country("GB", "United Kingdom"), Country("SE", "Sweden")
    rows = [
        _section_row(Section(1, "Britain"), gb, received=10),
        _section_row(Section(2, "Scotland"), gb, received=5),
        _section_row(Section(3, "Sweden"), se, received=7),
    ]
    rows[0].weekly = [1, 2]
    countries = by_country(rows, 2)
    assert [c.name for c in countries] == ["Sweden", "United Kingdom"]
    assert countries[1].figures.received == 15 and countries[1].weekly == [1, 2]
    assert total(countries).received == 22


def test_alerts_below_the_thresholds_and_none_when_turned_off():
    row = _section_row(
        Section(1, "Britain"), Country("GB", "UK"), on_hand_unsigned=5, recent_sold=8
    )
    alerts = stock_alerts(row, Thresholds(weeks_of_cover=4, copies=10), date(2024, 3, 31))
    assert [a.kind for a in alerts] == ["low_cover", "low_stock"]
    assert "5 copies on hand at 31 Mar 2024; the threshold is 10." in alerts[1].message
    assert stock_alerts(row, Thresholds(0, 0), date(2024, 3, 31)) == []
    assert Thresholds(None, 3).over(Thresholds(4, 9)) == Thresholds(4, 3)
