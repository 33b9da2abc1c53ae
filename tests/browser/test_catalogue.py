"""An admin adds an edition from the catalogue's pages, at a desk (1280 px) and on a
phone (360 px): the form says what is wrong on the field, the edition lands in the
list, and neither page scrolls sideways on the phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.browser.test_narrow_pages import PHONE, PROBLEMS

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 900}


def _fits(page) -> None:
    # After a form's answer, its stylesheets may still be on their way: measure the page
    # as it is shown, not before its styles apply.
    page.wait_for_load_state("load")
    found = page.evaluate(PROBLEMS)
    assert found["width"] <= page.viewport_size["width"], found
    assert found["wide"] == [] and found["boxes"] == [], found


def _add_edition(
    page, base: str, *, isbn: str, language: str, own: str, price: str, shown: str
) -> None:
    page.goto(base + "/admin/catalogue")
    card = page.locator("article.catalogue-title", has_text="In Defence of Lenin")
    card.get_by_role("button", name="Add an edition").click()
    expect(page.get_by_role("heading", name="New edition")).to_be_visible()
    # A wrong check digit first: said on the field, nothing added.
    page.locator("#isbn").fill(isbn[:-1] + ("1" if isbn[-1] != "1" else "2"))
    page.locator("#language").fill(language)
    page.locator("#own_title").fill(own)
    page.locator("#published_on").fill("2024-09-02")
    page.locator("#list_price").fill(price)
    page.locator("#currency").fill("SEK")
    page.get_by_label("Currency, line 1").fill("EUR")
    page.get_by_label("List price, line 1").fill("27.00")
    page.get_by_role("button", name="Add edition").click()
    expect(page.locator("#isbn-help")).to_contain_text("wrong check digit")
    if page.viewport_size["width"] < 400:
        _fits(page)
    screenshot(page, f"catalogue-refused-{page.viewport_size['width']}")
    page.locator("#isbn").fill(isbn)
    page.get_by_role("button", name="Add edition").click()
    expect(page.locator(".flash-success")).to_contain_text("added, ISBN")
    expect(page.locator("main")).to_contain_text(shown)
    expect(page.locator("main")).to_contain_text(own)


def test_an_admin_adds_an_edition_at_a_desk_and_on_a_phone(browser, live_demo, database):
    desk = browser.new_context(viewport=DESK)
    page = desk.new_page()
    log_in(page, live_demo, "admin@example.org")
    page.goto(live_demo + "/admin/catalogue")
    screenshot(page, f"catalogue-desk-before-{database.engine_name}")
    _add_edition(
        page,
        live_demo,
        isbn="978-1-900000-01-7",
        language="sv",
        own="Till försvar av Lenin",
        price="299",
        shown="978-1900000017",
    )
    screenshot(page, f"catalogue-desk-{database.engine_name}")
    page.locator("#title-1").get_by_role("link", name="978-1900000017").click()
    screenshot(page, f"catalogue-edition-desk-{database.engine_name}")
    desk.close()

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, live_demo, "admin@example.org")
    page.goto(live_demo + "/admin/catalogue")
    _fits(page)
    # An ISBN-10, as printed on an older cover: kept as its ISBN-13.
    _add_edition(
        page,
        live_demo,
        isbn="0-14-044913-2",
        language="da",
        own="Til forsvar for Lenin",
        price="249",
        shown="978-0140449136",
    )
    _fits(page)
    screenshot(page, f"catalogue-phone-{database.engine_name}")
    page.get_by_role("link", name="978-0140449136").click()
    _fits(page)
    screenshot(page, f"catalogue-edition-phone-{database.engine_name}")
    phone.close()
