"""The sale screen in Swedish and in Urdu (right to left) on a phone, chosen with the
switch at the foot of a page: the page's words from the catalogue, none of the English
ones left on the screen, money in the reader's way. Screenshots to look at."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("email", "code", "direction", "record"),
    [
        ("treasurer.se@example.org", "sv", "ltr", "Registrera"),
        ("treasurer.pk@example.org", "ur", "rtl", None),
    ],
)
def test_the_sale_screen_in_the_readers_language(
    browser, live_demo, database, email, code, direction, record
):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    log_in(page, live_demo, email)
    page.goto(live_demo + "/events")
    switch = page.locator("form.language-switch")
    switch.locator("select").select_option(code)
    switch.locator("button").click()
    expect(page.locator(f"html[lang={code}][dir={direction}]")).to_have_count(1)

    # The section's own store: its sale screen (the section's pages link to it).
    links = page.locator("a[href*='/sections/']")
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    section = next(m.group(1) for h in hrefs if (m := re.search(r"/sections/(\d+)", h)))
    page.goto(f"{live_demo}/sections/{section}/sell")
    expect(page.locator(".sell[data-ready=yes]")).to_have_count(1)
    text = page.locator("main").inner_text()
    for english in ("Record sale", "waiting to send", "Cash", "Card", "Undo last sale"):
        assert english not in text, (code, english)
    if record:
        assert record in page.locator("button.record").inner_text()
    screenshot(
        page,
        f"sale-screen-{code}-phone-{'postgresql' if database.is_postgresql else 'sqlite'}",
        full_page=False,
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(
        page,
        f"sale-screen-{code}-{'postgresql' if database.is_postgresql else 'sqlite'}",
        full_page=False,
    )
    context.close()


@pytest.mark.parametrize(("code", "direction"), [("sv", "ltr"), ("ur", "rtl")])
def test_the_dashboard_and_a_packing_slip_in_the_readers_language(
    browser, live_demo, database, code, direction
):
    engine = "postgresql" if database.is_postgresql else "sqlite"
    for width, height, kind in ((360, 740, "phone"), (1280, 900, "wide")):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        log_in(page, live_demo, "distribution@example.org")
        page.goto(live_demo + "/shipments/")
        switch = page.locator("form.language-switch")
        switch.locator("select").select_option(code)
        switch.locator("button").click()
        expect(page.locator(f"html[lang={code}][dir={direction}]")).to_have_count(1)
        page.goto(live_demo + "/dashboard")
        expect(page.locator("main h1")).to_have_count(1)
        assert "Dashboard" not in page.locator("main h1").inner_text()
        screenshot(page, f"dashboard-{code}-{kind}-{engine}", full_page=False)
        # A packing slip: the first shipment's, from the list.
        page.goto(live_demo + "/shipments/")
        first = page.locator("a[href*='/shipments/']").filter(has_text=re.compile(r"#\d+"))
        href = first.first.get_attribute("href")
        page.goto(live_demo + href.rstrip("/") + "/packing-slip")
        expect(page.locator(f"html[lang={code}]")).to_have_count(1)
        assert "Delivery note" not in page.locator("body").inner_text()
        screenshot(page, f"packing-slip-{code}-{kind}-{engine}", full_page=False)
        context.close()
