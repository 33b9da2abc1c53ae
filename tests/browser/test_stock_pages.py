"""The stock pages in a real browser: the demo campaign by country, then a location."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_home_page_and_drill_down_to_a_location(page, live_demo, database):
    log_in(page, live_demo, "coordinator@example.org")
    page.goto(live_demo + "/")
    assert page.title() == "Stock · Book tracker"
    rows = page.locator("#by-country tbody tr")
    assert rows.count() == 14
    assert "Britain (RCP)" in page.locator("#by-country").inner_text()
    printed = page.locator(".totals div").first.inner_text()
    assert "9,000" in printed and "printed" in printed
    screenshot(page, f"home-{database.engine_name}")

    # Filter by edition: only the Spanish edition; Mexico has it, Britain has none.
    # Its own title first (where countries are compared), kept whole by Unicode isolates.
    page.select_option(
        "#edition",
        label="\u2068En defensa de Lenin\u2069 · \u2068In Defence of Lenin\u2069 (Spanish "
        "paperback) · \u2066978-1913026875\u2069",
    )
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/?edition=*")
    britain = page.locator("#by-country tbody tr", has_text="Britain (RCP)")
    assert britain.locator("td").nth(3).inner_text() == "0"
    mexico = page.locator("#by-country tbody tr", has_text="Mexico (RCO)")
    assert int(mexico.locator("td").nth(5).inner_text().replace(",", "")) > 0

    page.goto(live_demo + "/")
    page.get_by_role("link", name="London store").click()
    page.wait_for_url("**/locations/GB-STORE")
    assert page.locator("h1").inner_text() == "London store"
    assert page.locator("#balances tbody tr").count() >= 1
    assert page.locator("#moves tbody tr").count() > 10
    screenshot(page, f"location-{database.engine_name}")


def test_home_page_on_a_phone(browser, live_demo, database):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    log_in(page, live_demo, "coordinator@example.org")
    page.goto(live_demo + "/")
    screenshot(page, f"home-phone-{database.engine_name}")
    # Nothing wider than the screen but the tables, which scroll in their own box.
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > 361)
        .map(e => e.tagName + '.' + e.className)""")
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
