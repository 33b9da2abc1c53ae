"""The sale screen when the server cannot record a sale: the sale waits on the phone with
its key, the screen says why, it is sent again (by itself, or at "Send now") and lands
once."""

from __future__ import annotations

import json
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
SALES = re.compile(r".*/places/\d+/sales$")


def test_a_sale_the_server_could_not_record_waits_on_the_phone(browser, live_demo, database):
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
    expect(page.locator(".sell[data-ready=yes]")).to_have_count(1)
    sales_before = int(page.locator("[data-tally=sales]").first.inner_text().replace(",", ""))
    copies_before = int(page.locator("[data-tally=copies]").inner_text().replace(",", ""))

    attempts: list[dict] = []

    def server(route) -> None:
        attempts.append(json.loads(route.request.post_data or "{}"))
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

    context.route(SALES, server)
    # A sale of 3 copies, by card, at a solidarity price, for a named buyer.
    page.locator(".tile").first.click()
    page.locator(".line [data-qty]").fill("3")
    page.locator(".pill", has_text="Card").click()
    page.locator(".line [data-price]").fill("12.50")
    page.locator("summary", has_text="Buyer's name").click()
    page.get_by_label("Buyer (optional)").fill("Sam")
    page.locator("button.record").click()

    net = page.locator("#net")
    waiting = page.locator("[data-waiting-list]")
    for tried, (answer, state) in enumerate(
        (
            ("The database is busy", "Not sent"),
            ("no connection", "No connection"),
            ("no connection", "No connection"),
        ),
        start=1,
    ):
        for _ in range(100):
            if len(attempts) >= tried:
                break
            page.wait_for_timeout(100)
        expect(waiting.locator("[data-waiting-why]")).to_contain_text(answer)
        # It waits, and says so where it is always in view.
        expect(net).to_contain_text("1 waiting to send")
        expect(net).to_contain_text(state)
        if answer == "The database is busy":
            waiting.locator("summary").click()
            expect(waiting.locator("li")).to_contain_text("3 × In Defence of Lenin")
            screenshot(page, f"sale-screen-not-recorded-{database.engine_name}")
        # Sent again now rather than when the timer says.
        waiting.get_by_role("button", name="Send now").click()

    # The last time, the server finds the sale recorded already.
    expect(net).to_contain_text("0 waiting to send")
    expect(page.locator("#sale-message")).to_contain_text("Already recorded")
    assert len(attempts) == 4
    # Every attempt carried the same sale, with the same key.
    assert len({json.dumps(a, sort_keys=True) for a in attempts}) == 1
    (sale,) = attempts[0]["sales"]
    assert sale["payment"] == "card" and sale["buyer"] == "Sam"
    assert sale["lines"][0]["qty"] == 3 and sale["lines"][0]["price"] == "12.50"

    context.unroute(SALES)
    page.reload()
    expect(page.locator("[data-tally=sales]").first).to_have_text(str(sales_before + 1))
    copies = int(page.locator("[data-tally=copies]").inner_text().replace(",", ""))
    assert copies == copies_before + 3
    assert script_errors == []
    context.close()
