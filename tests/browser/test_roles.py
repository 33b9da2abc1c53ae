"""Each role logs in through the login page and sees the navigation it should, no more."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

EVERYONE = ["Dashboard", "Stock", "Shipments", "Movements", "Events", "Money"]
NAVIGATION = {
    "admin@example.org": [*EVERYONE, "Audit trail", "Catalogue", "Admin"],
    "coordinator@example.org": [*EVERYONE, "Audit trail", "Catalogue"],
    "distribution@example.org": [*EVERYONE, "Catalogue"],
    "treasurer.gb@example.org": EVERYONE,
}


@pytest.mark.parametrize("email", list(NAVIGATION))
def test_each_role_sees_its_navigation(page, live_demo, database, email):
    log_in(page, live_demo, email)
    links = page.locator("header nav ul").nth(1).get_by_role("link").all_inner_texts()
    assert links == NAVIGATION[email]
    name = email.split("@")[0].replace(".", "-")
    screenshot(page, f"role-{name}-{database.engine_name}")
    if email == "treasurer.gb@example.org":
        # They land on their section's dashboard.
        assert page.locator("h1").inner_text() == "Dashboard of Britain (RCP)"
        assert page.locator("#by-country tbody tr").count() == 1
        page.goto(live_demo + "/locations/SE-STORE")
        assert page.locator("h1").inner_text().startswith("Not Found")
        page.goto(live_demo + "/audit")
        assert page.locator("h1").inner_text().startswith("Forbidden")
    if email == "admin@example.org":
        page.get_by_role("link", name="Admin", exact=True).click()
        page.locator("#admin-areas").get_by_role("link", name="Accounts").click()
        expect(page.locator("#users tbody tr")).to_have_count(7)
        screenshot(page, f"accounts-{database.engine_name}")
        page.get_by_role("link", name="Audit trail").click()
        expect(page.locator("#audit tbody tr")).to_have_count(50)
        screenshot(page, f"audit-{database.engine_name}")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    expect(page.locator("main")).to_contain_text("You have logged out")


def test_a_wrong_password_in_the_browser(page, live_demo):
    page.goto(live_demo + "/login")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("main")).to_contain_text("Email or password is not right")
    screenshot(page, "login-failed")
