"""A forgotten password, in the browser: from the login page to a new password."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tracker.services import resets

pytestmark = pytest.mark.browser

NEW = "a passphrase of my own"


@pytest.fixture
def outbox(monkeypatch) -> list[str]:
    links: list[str] = []
    monkeypatch.setattr(
        resets, "_send_link", lambda _session, _user, _reset, token: links.append(token)
    )
    return links


def test_a_forgotten_password_from_the_login_page(page, live_demo, outbox, database):
    page.goto(live_demo + "/login")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.locator("h1")).to_have_text("Forgotten password")
    page.get_by_label("Email").fill("coordinator@example.org")
    screenshot(page, f"password-forgot-{database.engine_name}")
    with page.expect_navigation():
        page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("main")).to_contain_text("a link to choose a new password is on its way")
    screenshot(page, f"password-forgot-sent-{database.engine_name}")

    page.goto(f"{live_demo}/password/reset/{outbox[-1]}")
    expect(page.locator("main")).to_contain_text("coordinator@example.org")
    page.locator("#new").fill(NEW)
    page.locator("#confirm").fill("not the same at all")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("main")).to_contain_text("The two passwords differ.")
    screenshot(page, f"password-reset-refused-{database.engine_name}")
    page.locator("#new").fill(NEW)
    page.locator("#confirm").fill(NEW)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Set the new password").click()
    expect(page.locator("main")).to_contain_text("Your password is changed")
    assert page.url.endswith("/dashboard")

    page.goto(f"{live_demo}/password/reset/{outbox[-1]}")
    expect(page.locator("main")).to_contain_text("This link has been used already")
    screenshot(page, f"password-reset-used-{database.engine_name}")
    page.get_by_role("button", name="Ask for a new link").click()
    expect(page.locator("h1")).to_have_text("Forgotten password")
