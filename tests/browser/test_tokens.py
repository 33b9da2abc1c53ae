"""API tokens in the account page, in a browser: made on a phone 360 pixels wide and at
a desk 1280 wide, the new token shown whole in its box (nothing reaches past the
screen), then revoked; the page once more shows it nowhere."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.browser.test_narrow_pages import PHONE, PROBLEMS

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_make_see_once_and_revoke_a_token(browser, live_demo, database, viewport):
    context = browser.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    log_in(page, live_demo, "treasurer.gb@example.org")
    page.goto(live_demo + "/account")
    page.get_by_label("Name").fill("Britain's sales sheet, the one on the shared drive")
    page.get_by_label("Expires in").select_option(label="30 days")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Make the token").click()
    secret = page.locator("#new-token")
    expect(secret).to_have_text(re.compile(r"^trk_[A-Za-z0-9_-]{43}$"))
    raw = secret.inner_text()
    expect(page.locator(".token-use")).to_have_text(f"Authorization: Bearer {raw}")
    expect(page.locator("main")).to_contain_text("it will not be shown again")
    found = page.evaluate(PROBLEMS)
    assert found["wide"] == [] and found["width"] <= viewport["width"], found
    box = secret.bounding_box()
    assert box is not None and box["x"] + box["width"] <= viewport["width"]
    name = f"token-made-{viewport['width']}-{database.engine_name}"
    screenshot(page, name)

    page.goto(live_demo + "/account")
    assert raw not in page.content()
    item = page.locator(".tokens li").first
    expect(item).to_contain_text("read only")
    expect(item).to_contain_text(raw[:8])
    item.get_by_role("button", name="Revoke").click()
    expect(page.locator("main")).to_contain_text("is revoked: it no longer works")
    expect(page.locator(".tokens li").first).to_contain_text("revoked")
    found = page.evaluate(PROBLEMS)
    assert found["wide"] == [] and found["width"] <= viewport["width"], found
    screenshot(page, f"token-revoked-{viewport['width']}-{database.engine_name}")
    context.close()
