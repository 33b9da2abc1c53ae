"""The sale screen on a phone (360 x 740): three sales (one signed), each a basket kept
on the phone and sent; a signing of two copies, an undo; the tally follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_an_event_on_a_phone(browser, live_demo, database):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    log_in(page, live_demo, "treasurer.gb@example.org")

    # A new event, and copies brought to its table.
    page.goto(live_demo + "/events/new")
    page.get_by_label("Name").fill("Saturday bookstall, Brixton")
    page.get_by_label("Kind").select_option(label="bookstall")
    page.get_by_label("Starts on").fill(__import__("datetime").date.today().isoformat())
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(re.compile(r".*/events/\d+$"))
    event_url = page.url
    page.get_by_role("button", name="Bring copies").click()
    page.get_by_label("Copies, In Defence of Lenin (English paperback), unsigned").fill("10")
    page.get_by_label("Copies, In Defence of Lenin (English paperback), signed").fill("2")
    page.get_by_role("button", name="Record transfer").click()
    page.goto(event_url)
    page.get_by_role("button", name="Sell").click()

    # Once its script has started, the screen keeps each sale on the phone first.
    expect(page.locator(".sell[data-ready=yes]")).to_have_count(1)
    tiles = page.locator(".tile")
    assert tiles.count() == 2
    unsigned = page.locator(".tile[data-condition=unsigned]")
    signed = page.locator(".tile[data-condition=signed]")
    message = page.locator("#sale-message")
    # Sale 1: two unsigned copies, cash: a tap on the tile adds it, a second one more.
    unsigned.click()
    page.get_by_role("button", name=re.compile("One copy more of In Defence")).click()
    assert page.locator(".line [data-qty]").input_value() == "2"
    assert "£50.00" in page.locator("button.record").inner_text()
    page.locator("button.record").click()
    # Kept on the phone, then sent: the screen updates without loading again.
    expect(message).to_contain_text("Recorded: 2 ×")
    expect(page.locator("#tally-line")).to_have_text("2 copies sold · £50.00 taken")
    expect(page.locator(".tile", has_text="8 left")).to_have_count(1)
    expect(page.locator(".line")).to_have_count(0)
    # Sale 2: a signed copy, by card.
    signed.click()
    page.locator(".pill", has_text="Card").click()
    page.locator("button.record").click()
    expect(message).to_contain_text("(signed)")
    expect(page.locator(".last-sale")).to_contain_text("(signed)")
    # Sale 3: one unsigned copy at a solidarity price (a second tap within a second of
    # the last sale records nothing).
    page.wait_for_timeout(1000)
    unsigned.click()
    page.get_by_label(re.compile("Price each, In Defence")).fill("10")
    page.locator("button.record").click()
    expect(page.locator("#tally-line")).to_have_text("4 copies sold · £85.00 taken")
    expect(page.locator("[data-tally=sales]")).to_have_text("3")
    # What the script showed is what the server recorded.
    page.reload()
    assert page.locator("#tally-line").inner_text() == "4 copies sold · £85.00 taken"
    screenshot(page, f"sale-screen-phone-{database.engine_name}")

    # A signing of two copies.
    page.goto(event_url)
    page.get_by_role("button", name="Signing", exact=True).click()
    page.get_by_label("Alan Woods").check()
    page.get_by_label("Copies signed", exact=True).fill("2")
    page.get_by_role("button", name="Record the signing").click()
    expect(page.locator("main")).to_contain_text("Alan Woods signed 2 copies.")

    # Undo the last sale: the tally goes back.
    page.get_by_role("button", name="Sell").click()
    page.get_by_role("button", name="Undo last sale").click()
    page.wait_for_load_state()
    assert "undone: £10.00, 1 copy back." in page.locator("main").inner_text()
    assert page.locator("#tally-line").inner_text() == "3 copies sold · £75.00 taken"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    tiles = page.locator(".tile").all_inner_texts()
    assert any("6 left" in t for t in tiles) and any("signed" in t and "3 left" in t for t in tiles)
    screenshot(page, f"sale-screen-after-undo-{database.engine_name}")
    context.close()
