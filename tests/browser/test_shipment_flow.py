"""A shipment in a real browser: drafted, dispatched, printed, received with damaged and
missing copies; the section's stock and written-off figures follow."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _sweden(page, base: str) -> dict[str, int]:
    page.goto(base + "/")
    cells = page.locator("#by-country tbody tr", has_text="Sweden (RKP)").locator("td")
    numbers = [int(t.replace(",", "") or 0) for t in cells.all_inner_texts()[2:]]
    return dict(
        zip(
            ["in_transit", "unsigned", "signed", "sold", "signed_all", "written_off"],
            numbers,
            strict=True,
        )
    )


def test_ship_print_and_receive_with_discrepancies(page, live_demo, database):
    log_in(page, live_demo, "distribution@example.org")
    before = _sweden(page, live_demo)

    page.goto(live_demo + "/shipments/new")
    page.get_by_label("Section").select_option(label="Sweden (RKP)")
    page.get_by_label("Terms").select_option(label="sale or return")
    page.get_by_label("Copies of In Defence of Lenin (English paperback)").fill("40")
    page.get_by_label("Price per copy of In Defence of Lenin (English paperback)").fill("160")
    page.get_by_label("Copies of In Defence of Lenin (Spanish paperback)").fill("10")
    page.get_by_label("Price per copy of In Defence of Lenin (Spanish paperback)").fill("170")
    page.get_by_label("Carrier").fill("DHL")
    page.get_by_label("Tracking number").fill("JD0001")
    screenshot(page, f"shipment-new-{database.engine_name}")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r".*/shipments/\d+$"))
    assert "draft" in page.locator("h1").inner_text()
    shipment_url = page.url

    page.get_by_role("button", name="Dispatch 50 copies").click()
    expect(page.locator("main")).to_contain_text("dispatched: 50 copies are in transit")
    screenshot(page, f"shipment-dispatched-{database.engine_name}")
    assert _sweden(page, live_demo)["in_transit"] == before["in_transit"] + 50

    page.goto(shipment_url)
    page.get_by_role("button", name="Packing slip").click()
    expect(page.locator("h1")).to_have_text("Delivery note")
    assert "SEK8,100.00" in page.locator("table.lines").inner_text()
    page.emulate_media(media="print")
    expect(page.locator("nav.no-print")).to_be_hidden()
    screenshot(page, f"packing-slip-print-{database.engine_name}")
    page.emulate_media(media="screen")

    log_in(page, live_demo, "treasurer.se@example.org")
    page.goto(shipment_url)
    page.get_by_role("button", name="Receive").click()
    page.get_by_label("Received, In Defence of Lenin (English paperback)").fill("37")
    page.get_by_label("Damaged, In Defence of Lenin (English paperback)").fill("3")
    page.get_by_label("Reason, In Defence of Lenin (English paperback)").select_option(
        label="damaged in transit"
    )
    page.get_by_label("Received, In Defence of Lenin (Spanish paperback)").fill("8")
    page.get_by_label("Missing, In Defence of Lenin (Spanish paperback)").fill("2")
    # Forgetting the reason for the missing copies gets a message, and nothing is saved.
    page.get_by_role("button", name="Record receipt").click()
    expect(page.locator("main")).to_contain_text("say why copies are damaged or missing")
    page.get_by_label("Reason, In Defence of Lenin (Spanish paperback)").select_option(
        label="missing"
    )
    screenshot(page, f"shipment-receive-{database.engine_name}")
    page.get_by_role("button", name="Record receipt").click()
    page.wait_for_url(shipment_url)
    assert "received" in page.locator("h1").inner_text()
    screenshot(page, f"shipment-received-{database.engine_name}")

    after = _sweden(page, live_demo)
    assert after["in_transit"] == before["in_transit"]
    assert after["unsigned"] == before["unsigned"] + 45
    assert after["written_off"] == before["written_off"] + 5
