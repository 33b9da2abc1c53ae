"""An admin sets up a section in the browser (its store's postal address too), the
publisher ships copies to it through the usual pages, and the packing slip prints the
address; the admin's pages fit a phone 360 pixels wide as well as a desk."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.browser.test_narrow_pages import PROBLEMS

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 900}
ENGLISH = "In Defence of Lenin (English paperback)"
ADDRESS = "Epanastatiko Kommounistiko Komma\nTachydromiki Thyrida 1917\n10110 Athens\nGreece"


def _fits(page, name: str) -> None:
    """The page at both widths: nothing wider than a phone's screen but in a table's own
    scrolling box; a screenshot of each (once its stylesheets apply)."""
    page.wait_for_load_state("load")
    page.set_viewport_size(DESK)
    screenshot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    found = page.evaluate(PROBLEMS)
    assert found["width"] <= PHONE["width"], found
    assert found["wide"] == [] and found["boxes"] == [], found
    screenshot(page, f"{name}-360")
    page.set_viewport_size(DESK)


def test_an_admin_sets_up_a_section_and_its_parcels_reach_the_address(page, live_demo, database):
    engine = database.engine_name
    log_in(page, live_demo, "admin@example.org")
    page.locator("header nav").get_by_role("link", name="Admin", exact=True).click()
    expect(page.locator("h1")).to_have_text("Admin")
    _fits(page, f"admin-index-{engine}")

    page.locator("#admin-areas").get_by_role("link", name="Sections").click()
    expect(page.locator("#sections")).to_contain_text("Pakistan (Lal Salaam)")
    _fits(page, f"admin-sections-{engine}")

    page.get_by_role("button", name="New section").click()
    page.get_by_label("Name", exact=True).fill("Greece")
    page.locator("#country_code").select_option(label="Greece")
    page.locator("#currency").select_option(value="EUR")
    page.locator("#time_zone").select_option(value="Europe/Athens")
    page.locator("#language").select_option(value="en")
    page.get_by_label("Contact's name").fill("Books desk, Athens")
    page.get_by_label("Contact's email").fill("books.gr@example.org")
    page.get_by_label("Contact's phone").fill("+30 210 000 1917")
    page.get_by_label("Store's name").fill("Athens store")
    page.get_by_label("Store's postal address").fill(ADDRESS)
    _fits(page, f"admin-section-new-{engine}")
    page.get_by_role("button", name="Make the section").click()
    expect(page.locator("main")).to_contain_text("Section Greece made, with its store")
    expect(page.locator("#stores")).to_contain_text("Tachydromiki Thyrida 1917")
    _fits(page, f"admin-section-edit-{engine}")

    # A mistake on the form is said on its field, and nothing is made.
    page.goto(live_demo + "/admin/sections/new")
    page.get_by_label("Name", exact=True).fill("Greece")
    page.get_by_role("button", name="Make the section").click()
    expect(page.locator("#country_code-help")).to_have_text("Choose the country.")
    page.locator("#country_code").select_option(label="Greece")
    page.locator("#currency").select_option(value="EUR")
    page.locator("#time_zone").select_option(value="Europe/Athens")
    page.locator("#language").select_option(value="en")
    page.get_by_role("button", name="Make the section").click()
    expect(page.locator("main")).to_contain_text("There is already a section called Greece.")
    _fits(page, f"admin-section-refused-{engine}")

    page.goto(live_demo + "/admin/places")
    expect(page.locator("main")).to_contain_text("Athens store")
    _fits(page, f"admin-places-{engine}")

    # The publisher ships to it through the usual pages.
    log_in(page, live_demo, "distribution@example.org")
    page.goto(live_demo + "/shipments/new")
    page.get_by_label("Section").select_option(label="Greece")
    page.get_by_label(f"Copies of {ENGLISH}").fill("30")
    page.get_by_label(f"Price per copy of {ENGLISH}").fill("14")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r".*/shipments/\d+$"))
    page.get_by_role("button", name="Dispatch 30 copies").click()
    expect(page.locator("main")).to_contain_text("copies are in transit")
    page.get_by_role("button", name="Packing slip").click()
    expect(page.locator("h1")).to_have_text("Delivery note")
    to = page.locator("section.parties > div").nth(1)
    expect(to).to_contain_text("Athens store")
    assert to.locator("address").inner_text().strip() == ADDRESS
    expect(page.locator("section.parties > div").first.locator("address")).to_contain_text(
        "PO Box 50525"
    )
    page.set_viewport_size(PHONE)
    screenshot(page, f"packing-slip-address-{engine}-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESK)
    screenshot(page, f"packing-slip-address-{engine}-1280")
