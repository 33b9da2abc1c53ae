"""Things typed in after they happened, as a treasurer does it: a sale dated earlier on
the phone's sale screen, and the launch's paper tally typed in from the event's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import log_in, screenshot
from tracker.models import Sale

pytestmark = pytest.mark.browser
# As the tally's lines offer it: the title kept whole by Unicode isolates, whatever the
# page's direction.
EDITION = "\u2068In Defence of Lenin\u2069 (English paperback)"


def test_a_sale_dated_earlier_on_a_phone(browser, live_app, database):
    live_demo = live_app.url
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        log_in(page, live_demo, "treasurer.gb@example.org")
        page.goto(live_demo + "/events")
        page.get_by_role("button", name="Sell from the store").click()
        expect(page.locator(".sell[data-ready=yes]")).to_have_count(1)
        record = page.locator("button.record")
        # The usual sale never meets the date: folded away, under the button.
        expect(page.locator("details.when")).not_to_have_attribute("open", "")
        assert page.get_by_label("Sold at").is_hidden()
        page.locator(".tile").first.click()
        page.locator("summary", has_text="Sold earlier?").click()
        yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=14, minute=30)
        page.get_by_label("Sold at").fill(yesterday.strftime("%Y-%m-%dT%H:%M"))
        screenshot(page, f"sale-dated-earlier-phone-{database.engine_name}")
        record.click()
        # Made on the phone at the moment given, and sent so.
        expect(page.locator("#sale-message")).to_contain_text("Recorded: 1 ×")
        expect(page.locator("#sale-message")).to_contain_text(
            yesterday.strftime("sold %d %b %Y 14:30 UTC")
        )
        engine = live_app.app.extensions["tracker.db"].engine
        with Session(engine) as session:
            sale = session.scalars(select(Sale).order_by(Sale.document_id.desc()).limit(1)).one()
            assert sale.sold_at == yesterday.replace(second=0, microsecond=0)
        # The field is empty again: the next sale is now unless said otherwise.
        assert page.get_by_label("Sold at").input_value() == ""
        # A date in the future is refused on the field, and nothing is sold.
        tally = page.locator("#tally-line").inner_text()
        page.wait_for_timeout(1000)
        page.locator(".tile").first.click()
        page.get_by_label("Sold at").fill(
            (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        )
        record.click()
        expect(page.locator("[data-sold-at-error]")).to_contain_text("future")
        expect(page.locator("#net")).to_contain_text("0 waiting to send")
        assert page.locator("#tally-line").inner_text() == tally
    finally:
        context.close()


def test_the_launch_paper_tally_typed_in_afterwards(page, live_demo, database):
    log_in(page, live_demo, "treasurer.gb@example.org")
    page.goto(live_demo + "/events")
    page.get_by_role("link", name=re.compile("London launch")).first.click()
    page.get_by_role("button", name="Type in a paper tally").click()
    expect(page.locator("h1")).to_have_text("Type in a paper tally")
    page.get_by_label("Day", exact=True).fill("2024-01-21")
    # Britain keeps London time: the field says so.
    page.get_by_label("Time (optional, Europe/London)").fill("20:15")
    page.get_by_label("Edition, line 1", exact=True).select_option(label=EDITION)
    page.get_by_label("Copies, line 1", exact=True).fill("2")
    page.get_by_label("Edition, line 2", exact=True).select_option(label=EDITION)
    page.get_by_label("Signed?, line 2", exact=True).select_option("signed")
    page.get_by_label("Paid by, line 2", exact=True).select_option("card")
    page.get_by_label("Copies, line 2", exact=True).fill("1")
    screenshot(page, f"paper-tally-form-{database.engine_name}")
    page.get_by_role("button", name="Record the tally").click()
    # On the event's report: its sales, dated at the launch, each from the tally.
    expect(page).to_have_url(re.compile(r".*/events/\d+/report.*"))
    expect(page.locator("main")).to_contain_text("paper tally #")
    expect(page.locator("main")).to_contain_text("2024-01-21 20:15")
    screenshot(page, f"paper-tally-report-{database.engine_name}")

    # Sold before the copies ever reached the table: refused, and the form says why.
    page.go_back()
    page.reload()
    page.get_by_label("Day", exact=True).fill("2024-01-10")
    page.get_by_label("Edition, line 1", exact=True).select_option(label=EDITION)
    page.get_by_label("Copies, line 1", exact=True).fill("3")
    page.get_by_role("button", name="Record the tally").click()
    expect(page.locator("main")).to_contain_text(
        "Only 0 unsigned copies of In Defence of Lenin (English paperback), ISBN "
        "9781913026868 were at #LeninLives: London launch of In Defence of Lenin "
        "(GB-EV-20240121) on 10 Jan 2024; 300 arrived there on 21 Jan 2024."
    )
    screenshot(page, f"paper-tally-refused-{database.engine_name}")


def test_an_admin_closes_and_reopens_a_month(page, live_demo, database):
    log_in(page, live_demo, "admin@example.org")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.locator("#admin-areas").get_by_role("link", name="Dates").click()
    page.get_by_label("Days back").fill("400")
    page.get_by_role("button", name="Save the limit").click()
    expect(page.locator("main")).to_contain_text("up to 400 days back")
    page.get_by_label("Section").select_option(label="Britain (RCP)")
    page.get_by_label("Month", exact=True).fill("2024-02")
    page.get_by_role("button", name="Close the month").click()
    expect(page.locator("main")).to_contain_text("Britain (RCP): February 2024 is closed.")
    expect(page.locator("#closed-months")).to_contain_text("February 2024")
    screenshot(page, f"admin-dates-{database.engine_name}")
    # On a phone too: nothing wider than the screen.
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, f"admin-dates-phone-{database.engine_name}")
    page.locator("#closed-months").get_by_role("button", name="Reopen").click()
    expect(page.locator("main")).to_contain_text("February 2024 is open again.")
    expect(page.locator("#closed-months")).to_contain_text("No month is closed.")
