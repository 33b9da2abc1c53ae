"""The sale screen when the server cannot record a sale: it says so, keeps the sale as it
was entered (with its key), and pressing Record again lands it once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

UNAVAILABLE = {
    "error": "Busy, try again",
    "message": "The database is busy with other work just now, so this was not saved. "
    "Please try again in a few seconds.",
    "retry_after": 5,
}


def _filled(page) -> dict[str, str]:
    """What the sale form holds now."""
    return page.evaluate(
        """() => Object.fromEntries(new FormData(document.querySelector(".sale-form"))
                 .entries().filter(([name]) => name !== "csrf_token"))"""
    )


def test_a_sale_the_server_could_not_record_stays_on_the_screen(browser, live_demo, database):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    log_in(page, live_demo, "treasurer.gb@example.org")
    page.goto(live_demo + "/events")
    page.get_by_role("button", name="Sell from the store").click()
    page.wait_for_url(re.compile(r".*/sections/\d+/sell$"))
    sales_before = int(page.locator("[data-tally=sales]").first.inner_text().replace(",", ""))
    copies_before = int(page.locator("[data-tally=copies]").inner_text().replace(",", ""))

    # A sale of 3 copies, by card, at a solidarity price, for a named buyer.
    page.locator(".tile").first.click()
    page.get_by_role("button", name="One copy more").click()
    page.get_by_role("button", name="One copy more").click()
    page.locator(".pill", has_text="Card").click()
    page.locator("summary", has_text="Other price").click()
    page.get_by_label(re.compile(r"Price per copy")).fill("12.50")
    page.get_by_label("Buyer (optional)").fill("Sam")
    entered = _filled(page)
    assert entered["qty"] == "3" and entered["payment"] == "card"

    attempts: list[str] = []

    def server(route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        attempts.append(route.request.post_data or "")
        if len(attempts) == 1:
            # The server's database is busy: it answers 503 and records nothing.
            route.fulfill(status=503, json=UNAVAILABLE, headers={"Retry-After": "5"})
        elif len(attempts) == 2:
            # The network fails on the way.
            route.abort("internetdisconnected")
        elif len(attempts) == 3:
            # The server records it, but its answer is lost on the way back.
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(r".*/sections/\d+/sell$"), server)
    alert = page.locator("#sale-message")
    for answer in ("The database is busy", "the network failed", "the network failed"):
        page.locator("button.record").click()
        expect(alert).to_contain_text("The sale was NOT recorded")
        expect(alert).to_contain_text(answer)
        expect(alert).to_contain_text("press “Record sale” to send it again")
        # Kept as it was entered, with the same key.
        assert _filled(page) == entered
        expect(page.locator("button.record")).to_be_enabled()
    screenshot(page, f"sale-screen-not-recorded-{database.engine_name}")

    # Pressed once more, it goes through: the server finds the sale recorded already.
    page.locator("button.record").click()
    expect(alert).to_contain_text("That sale was already recorded")
    assert len(attempts) == 4
    # Every attempt carried the same key.
    keys = {re.search(r'name="submission_key"\r\n\r\n([^\r]+)', a).group(1) for a in attempts}
    assert keys == {entered["submission_key"]}

    page.unroute(re.compile(r".*/sections/\d+/sell$"))
    page.reload()
    expect(page.locator("[data-tally=sales]").first).to_have_text(str(sales_before + 1))
    copies = int(page.locator("[data-tally=copies]").inner_text().replace(",", ""))
    assert copies == copies_before + 3
    assert script_errors == []
    context.close()
