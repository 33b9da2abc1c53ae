"""The coordinators' dashboard in a browser, on the demo campaign: the table and the
charts draw, a filter changes the figures, a column sorts, the drill-down reaches the
moves, the page prints with each chart's numbers; a treasurer sees their section only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _total_sold(page) -> int:
    # The totals row: Received, In transit, On hand unsigned, On hand signed, Sold...
    return int(page.locator("#by-country tfoot td").nth(4).get_attribute("data-value"))


def test_the_coordinators_dashboard(page, live_demo, database):
    log_in(page, live_demo, "coordinator@example.org")
    # Coordinators land on it.
    assert page.url.endswith("/dashboard")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#by-country tbody tr")).to_have_count(14)
    # The three charts are drawn (Chart.js, served by the tracker itself).
    expect(page.locator("body")).to_have_attribute("data-charts", "3")
    for canvas in page.locator("figure.chart canvas").all():
        box = canvas.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 150
    whole = _total_sold(page)
    assert whole > 1000
    screenshot(page, f"dashboard-{database.engine_name}")

    # Sorting by copies sold puts the biggest seller first.
    page.locator("#by-country thead th", has_text="Sold").click()
    page.locator("#by-country thead th", has_text="Sold").click()
    first = page.locator("#by-country tbody tr").first.locator("td").nth(4)
    values = [
        int(v)
        for v in page.locator("#by-country tbody tr td:nth-child(6)").evaluate_all(
            "cells => cells.map(c => c.dataset.value)"
        )
    ]
    assert int(first.get_attribute("data-value")) == max(values)

    # One edition: fewer copies.
    page.select_option("#edition", index=2)
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert "edition=" in page.url
    assert 0 < _total_sold(page) < whole
    # A shorter period: fewer again, and the period shows in the heading.
    page.fill("#start", "2024-03-01")
    page.fill("#end", "2024-05-31")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    # Whole weeks: Monday 26 February to Sunday 2 June.
    assert "weeks of 26 Feb 2024 – 2 Jun 2024" in page.locator("hgroup p").inner_text()
    screenshot(page, f"dashboard-filtered-{database.engine_name}")

    # Drill down: a country, its section, a place, a document, its moves.
    page.goto(live_demo + "/dashboard")
    page.locator("#by-country a", has_text="United Kingdom").click()
    expect(page.locator("h1")).to_have_text("Dashboard: United Kingdom")
    page.locator("#by-country a", has_text="Britain").click()
    expect(page.locator("h1")).to_contain_text("Britain (RCP)")
    expect(page.locator("#events tbody tr")).not_to_have_count(0)
    screenshot(page, f"dashboard-section-{database.engine_name}")
    page.locator("#documents tbody a").first.click()
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    expect(page.locator("main table").first).to_be_visible()
    assert page.locator("main table tbody tr").count() >= 1

    # Printed: no navigation or buttons, and each chart with its numbers.
    page.goto(live_demo + "/dashboard")
    expect(page.locator("body")).to_have_attribute("data-charts", "3")
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details.chart-numbers[open]").count() == 3
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".dashboard-filters").is_visible()
    screenshot(page, f"dashboard-print-{database.engine_name}")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    assert page.locator("details.chart-numbers[open]").count() == 0


def test_a_treasurers_dashboard(page, live_demo, database):
    log_in(page, live_demo, "treasurer.gb@example.org")
    expect(page.locator("h1")).to_have_text("Dashboard of Britain (RCP)")
    expect(page.locator("#by-country tbody tr")).to_have_count(1)
    text = page.locator("main").inner_text()
    for other in ("Sweden", "Pakistan", "Mexico", "Lal Salaam", "printed"):
        assert other not in text
    # No country or section to choose: only their own.
    assert page.locator("#country").count() == 0 and page.locator("#section").count() == 0
    expect(page.locator("body")).to_have_attribute("data-charts", "3")
    screenshot(page, f"dashboard-treasurer-{database.engine_name}")
