"""Every page a treasurer reaches, on a phone 360 pixels wide (the demo campaign, as
Britain's treasurer): the page never scrolls sideways; a table that must stay wide
scrolls in its own box, which the keyboard reaches, its first column in view; headline
figures stay whole."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
ENGLISH = "In Defence of Lenin (English paperback)"

# What a page shows that does not fit: anything outside a table's scrolling box that
# reaches past the screen's right edge, and scrolling boxes the keyboard cannot reach
# or a screen reader cannot name.
PROBLEMS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > width + 1)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className);
  const boxes = [...document.querySelectorAll('.table-scroll')]
    .filter(b => b.getAttribute('role') !== 'region' || b.tabIndex !== 0
                 || !b.getAttribute('aria-label'))
    .map(b => b.outerHTML.slice(0, 80));
  return {width: document.documentElement.scrollWidth, wide, boxes};
}"""


def _shipment_to_britain(browser, base: str) -> str:
    """A shipment dispatched to Britain and not yet received (for the receipt form),
    sent by distribution staff at their desk."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, base, "distribution@example.org")
    page.goto(base + "/shipments/new")
    page.get_by_label("Section").select_option(label="Britain (RCP)")
    page.get_by_label(f"Copies of {ENGLISH}").fill("20")
    page.get_by_label(f"Price per copy of {ENGLISH}").fill("12.50")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r".*/shipments/\d+$"))
    url = page.url.removeprefix(base)
    page.get_by_role("button", name="Dispatch 20 copies").click()
    expect(page.locator("main")).to_contain_text("copies are in transit")
    context.close()
    return url


def _right_edge(page, locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"]


def test_every_treasurer_page_fits_a_phone(browser, live_demo, database):
    shipment = _shipment_to_britain(browser, live_demo)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, live_demo, "treasurer.gb@example.org")

    # Today's event, and copies brought to its table: the store offers what it holds.
    page.goto(live_demo + "/events/new")
    page.get_by_label("Name").fill("Saturday bookstall, Brixton")
    page.get_by_label("Starts on").fill(date.today().isoformat())
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(re.compile(r".*/events/\d+$"))
    today = page.url.removeprefix(live_demo)
    bring = page.get_by_role("button", name="Bring copies").get_attribute("href")
    page.goto(live_demo + bring)
    assert page.locator("#lines tbody tr").count() == 2  # English, unsigned and signed
    quantity = page.get_by_label(f"Copies, {ENGLISH}, unsigned")
    assert _right_edge(page, quantity) <= PHONE["width"]  # the input is not cut
    screenshot(page, f"narrow-bring-copies-{database.engine_name}")
    quantity.fill("10")
    page.get_by_role("button", name="Record transfer").click()
    # Back on the event's page, Sell one tap away.
    page.wait_for_url(live_demo + today)
    expect(page.locator(".flash")).to_contain_text("are on the table of Saturday bookstall")
    expect(page.get_by_role("button", name="Sell", exact=True)).to_be_visible()

    # The events: today's first, with its Sell button.
    page.goto(live_demo + "/events")
    first = page.locator("section.events-now li").first
    expect(first).to_contain_text("Saturday bookstall, Brixton")
    expect(first.get_by_role("button", name=re.compile("^Sell"))).to_have_attribute(
        "href", today + "/sell"
    )
    screenshot(page, f"narrow-events-{database.engine_name}")
    launch = page.get_by_role("link", name=re.compile("London launch")).get_attribute("href")
    # So does the dashboard, where the treasurer lands.
    page.goto(live_demo + "/dashboard")
    expect(page.locator("section.events-now li").first).to_contain_text("Saturday bookstall")
    screenshot(page, f"narrow-dashboard-{database.engine_name}")
    page.goto(live_demo + "/money")  # a treasurer's money is their statement
    statement = page.url.removeprefix(live_demo)
    gb = re.search(r"/sections/(\d+)/", statement).group(1)
    page.goto(live_demo + "/stocktakes")
    stocktake = page.locator("main table a[href*='/stocktakes/']").first.get_attribute("href")
    page.goto(live_demo + "/locations/GB-STORE")
    document = page.locator("#moves a[href*='/documents/']").first.get_attribute("href")
    table = page.locator(
        "#moves a[href*='/locations/']", has_text="Saturday bookstall"
    ).first.get_attribute("href")
    page.goto(live_demo + launch)
    void = page.locator("#sales").get_by_role("link", name="Void").first.get_attribute("href")

    pages = {
        "dashboard": "/dashboard",
        "section dashboard": f"/dashboard/sections/{gb}",
        "stock": "/",
        "store": "/locations/GB-STORE",
        "event table": table,
        "document": document,
        "shipments": "/shipments",
        "shipment": shipment,
        "receipt form": shipment + "/receive",
        "new return": "/shipments/new-return",
        "transfers": "/transfers",
        "new transfer": "/transfers/new",
        "bring copies": bring,
        "write-offs": "/write-offs",
        "new write-off": "/write-offs/new",
        "stocktakes": "/stocktakes",
        "stocktake": stocktake,
        "new stocktake": "/stocktakes/new",
        "events": "/events",
        "new event": "/events/new",
        "signings": "/signings",
        "today's event": today,
        "close": today + "/close",
        "sale screen": today + "/sell",
        "event page": launch,
        "void": void,
        "event report": launch + "/report",
        "event edit": launch + "/edit",
        "signing": today + "/signing",
        "paper tally": today + "/tally",
        "signing tally": today + "/signing-tally",
        "store sale screen": f"/sections/{gb}/sell",
        "store tally": f"/sections/{gb}/tally",
        "statement": statement,
        "prices": f"/sections/{gb}/prices",
        "remittances": "/remittances",
        "new remittance": "/remittances/new",
        "password": "/account/password",
        "account": "/account",
    }
    found = {}
    for name, path in pages.items():
        response = page.goto(live_demo + path)
        assert response is not None and response.status == 200, (name, path)
        found[name] = page.evaluate(PROBLEMS)
    widths = {name: f["width"] for name, f in found.items()}
    assert {n: w for n, w in widths.items() if w > PHONE["width"]} == {}, widths
    wide = {n: f["wide"] for n, f in found.items() if f["wide"]}
    assert wide == {}, wide
    assert {n: f["boxes"] for n, f in found.items() if f["boxes"]} == {}

    # The statement's headline figures stay whole: each on one line.
    page.goto(live_demo + statement)
    for figure in page.locator(".totals .figure").all():
        box = figure.bounding_box()
        assert box is not None and box["height"] < 50, figure.inner_text()
        assert box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, f"narrow-statement-{database.engine_name}")
    page.goto(live_demo + f"/sections/{gb}/prices")
    screenshot(page, f"narrow-prices-{database.engine_name}")
    page.goto(live_demo + "/account")
    screenshot(page, f"narrow-account-{database.engine_name}")

    # The event's sales: Void in view; the table scrolls in its box, which the keyboard
    # reaches, and its first column stays put.
    page.goto(live_demo + launch)
    assert _right_edge(page, page.locator("#sales").get_by_role("link", name="Void").first) <= 360
    screenshot(page, f"narrow-event-{database.engine_name}")
    page.goto(live_demo + "/locations/GB-STORE")
    box = page.get_by_role("region", name="Moves")
    box.focus()
    expect(box).to_be_focused()
    first_cell = box.locator("tbody tr td").first
    before = first_cell.bounding_box()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("End")
    expect(box).not_to_have_js_property("scrollLeft", 0)
    after = first_cell.bounding_box()
    assert before is not None and after is not None and before["x"] == after["x"]
    screenshot(page, f"narrow-moves-scrolled-{database.engine_name}")

    # Closing asks first, away from the other buttons.
    page.goto(live_demo + today)
    screenshot(page, f"narrow-todays-event-{database.engine_name}")
    close = page.get_by_role("button", name="Close the event…")
    report = page.get_by_role("button", name="Report")
    gap = close.bounding_box()["y"] - (report.bounding_box()["y"] + report.bounding_box()["height"])
    assert gap > 40, gap
    close.click()
    page.wait_for_url(live_demo + today + "/close")
    expect(page.locator("#back-to-store")).to_contain_text("10")
    screenshot(page, f"narrow-close-{database.engine_name}")
    page.get_by_role("button", name="Close the event", exact=True).click()
    page.wait_for_url(live_demo + today)
    expect(page.locator(".flash")).to_contain_text("is closed")
    context.close()
