"""A forgotten password, in the browser: from the login page to a new password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import screenshot
from tracker.models import MailMessage

pytestmark = pytest.mark.browser

NEW = "a passphrase of my own"


def _link(app) -> str:
    """The path of the link in the latest reset mail queued."""
    session = app.extensions["tracker.db"].session_factory()
    try:
        body = session.scalars(
            select(MailMessage.text_body)
            .where(MailMessage.kind == "password_reset")
            .order_by(MailMessage.id.desc())
        ).first()
    finally:
        session.close()
    assert body, "no reset mail was queued"
    return re.search(r"https://tracker\.test(/password/reset/\S+)", body)[1]


def test_a_forgotten_password_from_the_login_page(page, live_app, database):
    live_demo = live_app.url
    page.goto(live_demo + "/login")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.locator("h1")).to_have_text("Forgotten password")
    page.get_by_label("Email").fill("coordinator@example.org")
    screenshot(page, f"password-forgot-{database.engine_name}")
    with page.expect_navigation():
        page.get_by_role("button", name="Send me a link").click()
    expect(page.locator("main")).to_contain_text("a link to choose a new password is on its way")
    screenshot(page, f"password-forgot-sent-{database.engine_name}")
    link = _link(live_app.app)

    page.goto(live_demo + link)
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

    page.goto(live_demo + link)
    expect(page.locator("main")).to_contain_text("This link has been used already")
    screenshot(page, f"password-reset-used-{database.engine_name}")
    page.get_by_role("button", name="Ask for a new link").click()
    expect(page.locator("h1")).to_have_text("Forgotten password")
