"""The sale screen offline first, on a phone (360 x 740, touch): sales made without a
connection wait on the phone (through a reload, a closed page) and land once; a lost
answer, two phones selling the last copies, a session that ended elsewhere, a double
tap; the layout in reach of a thumb; the plain form without the script."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD
from tracker.models import Sale

pytestmark = pytest.mark.browser

TREASURER = "treasurer.gb@example.org"
LENIN = "In Defence of Lenin (English paperback)"
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "service_workers": "allow",
}
SALES = re.compile(r".*/places/\d+/sales$")


def _phone(browser):
    """A phone's browser, and the script errors of its pages."""
    context = browser.new_context(**PHONE)
    errors: list[str] = []
    context.on("weberror", lambda e: errors.append(str(e.error)))
    return context, errors


def _table(page, base: str, name: str, unsigned: int, signed: int = 0) -> str:
    """A new event today with copies brought to its table; the URL of its sale screen."""
    page.goto(base + "/events/new")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Kind").select_option(label="bookstall")
    page.get_by_label("Starts on").fill(date.today().isoformat())
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url(re.compile(r".*/events/\d+$"))
    event_url = page.url
    page.get_by_role("button", name="Bring copies").click()
    page.get_by_label(f"Copies, {LENIN}, unsigned").fill(str(unsigned))
    if signed:
        page.get_by_label(f"Copies, {LENIN}, signed").fill(str(signed))
    page.get_by_role("button", name="Record transfer").click()
    page.wait_for_load_state()
    return event_url + "/sell"


def _open(page, url: str):
    """The sale screen, its script started; the page's answer."""
    response = page.goto(url)
    expect(page.locator(".sell[data-ready=yes]")).to_have_count(1)
    return response


def _ready_offline(page) -> None:
    """Wait until the service worker keeps the page: it opens without a connection."""
    expect(page.locator("#net")).to_have_attribute("data-offline-ready", "yes", timeout=20000)


def _tile(page, signed: bool = False):
    tiles = page.locator(".tile[data-condition=%s]" % ("signed" if signed else "unsigned"))
    return tiles.first


def _line(page, signed: bool = False):
    """The sale's line of the unsigned copies (or the signed ones)."""
    return page.locator(".line[data-key$=':%s']" % ("signed" if signed else "unsigned"))


def _pay(page, method: str) -> None:
    page.locator(".pill", has_text=method).click()


def _record(page) -> tuple[datetime, datetime]:
    """Tap Record: the moments just before and just after (the sale's is between)."""
    before = datetime.now(UTC)
    page.locator("button.record").click()
    expect(page.locator("button.record")).to_contain_text("Saved")
    return before, datetime.now(UTC)


def _place(page) -> int:
    return int(page.locator(".sell").get_attribute("data-place"))


def _sales(live_app, place: int) -> list[Sale]:
    engine = live_app.app.extensions["tracker.db"].engine
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Sale)
                .where(Sale.location_id == place, Sale.voided_at.is_(None))
                .options(selectinload(Sale.lines))
                .order_by(Sale.document_id)
            )
        )


def _left(page, signed: bool = False) -> str:
    return _tile(page, signed).locator("[data-left]").inner_text()


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740


def _thumb_reach(page) -> None:
    """The tiles, the running total and Record in view without scrolling (the first
    tile above the bar that holds Record)."""
    assert page.evaluate("window.scrollY") == 0
    tile = page.locator(".tile").first.bounding_box()
    bar = page.locator(".record-bar").bounding_box()
    assert tile is not None and bar is not None
    assert tile["y"] >= 0 and tile["y"] + tile["height"] <= bar["y"], (tile, bar)
    assert _in_view(page, page.locator("button.record"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _small_targets(page) -> list[str]:
    """What can be tapped on the screen and is smaller than 44 x 44 px."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '.sell-bar a, .sell button, .sell summary, .sell .tile, .sell .pill, ' +
              '.sell input:not([type=hidden]):not([type=radio])'))
            .filter((el) => el.getClientRects().length)
            .filter((el) => getComputedStyle(el).visibility !== 'hidden')
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([el, r]) => r.height < 44 || (el.tagName !== 'SUMMARY' && r.width < 44))
            .map(([el, r]) => `${el.tagName}.${el.className} ` +
                              `${el.textContent.trim().slice(0, 30)} ` +
                              `${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )


def test_sales_made_offline_wait_through_a_reload_and_land_once(browser, live_app, database):
    context, errors = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, live_app.url, TREASURER)
        url = _table(page, live_app.url, "Saturday stall, Leeds", unsigned=10, signed=2)
        _open(page, url)
        _ready_offline(page)
        place = _place(page)
        net = page.locator("#net")
        expect(net).to_contain_text("Online")
        expect(net).to_contain_text("0 waiting to send")
        _thumb_reach(page)
        assert _small_targets(page) == []
        # What the treasurer sees (the screen, not the whole page).
        screenshot(page, f"offline-sale-online-{database.engine_name}", full_page=False)

        offline_at = datetime.now(UTC)
        context.set_offline(True)
        expect(net).to_contain_text("Offline")
        made: list[tuple[datetime, datetime]] = []

        # 1: two unsigned copies, cash: handed over £60, the change shows.
        _tile(page).click()
        _tile(page).click()
        expect(_line(page).locator("[data-qty]")).to_have_value("2")
        expect(page.locator("button.record")).to_contain_text("£50.00")
        page.get_by_label("Handed over").fill("60")
        expect(page.locator("[data-change]")).to_have_text("Change £10.00")
        _thumb_reach(page)
        assert _small_targets(page) == []
        made.append(_record(page))
        expect(page.locator("#sale-message")).to_contain_text("Change £10.00")
        expect(page.locator("#sale-message")).to_contain_text("Saved: 2 × In Defence of Lenin")
        # Back to the tiles for the next sale; the copies counted down on the phone.
        assert page.evaluate("document.activeElement.classList.contains('tile')")
        expect(net).to_contain_text("1 waiting to send")
        expect(_tile(page).locator("[data-left]")).to_have_text("8")
        expect(page.locator("[data-stale]")).to_be_visible()

        # 2: the signed copies: the stepper stops at the copies left, and says so there.
        _tile(page, signed=True).click()
        _tile(page, signed=True).click()
        _tile(page, signed=True).click()
        signed = _line(page, signed=True)
        expect(signed.locator("[data-qty]")).to_have_value("2")
        expect(signed.locator("[data-line-error]")).to_have_text("Only 2 left.")
        signed.get_by_role("button", name=re.compile("One copy fewer")).click()
        _pay(page, "Card")
        made.append(_record(page))
        expect(net).to_contain_text("2 waiting to send")

        # 3: one of each, by bank transfer.
        _tile(page).click()
        _tile(page, signed=True).click()
        _pay(page, "Bank transfer")
        _thumb_reach(page)
        made.append(_record(page))

        # 4: one copy at a solidarity price, for a named buyer.
        _tile(page).click()
        _line(page).locator("[data-price]").fill("10")
        page.locator("summary", has_text="Buyer's name").click()
        page.get_by_label("Buyer (optional)").fill("Sam")
        expect(page.locator("button.record")).to_contain_text("£10.00")
        made.append(_record(page))

        # 5: three copies, taken out and put back in.
        _tile(page).click()
        _line(page).get_by_role("button", name=re.compile("Take .* out")).click()
        expect(page.locator(".line")).to_have_count(0)
        _tile(page).click()
        _line(page).locator("[data-qty]").fill("3")
        made.append(_record(page))
        expect(net).to_contain_text("5 waiting to send")
        # 10 unsigned: 2 + 1 + 1 + 3 sold on the phone; 2 signed: 1 + 1.
        expect(_tile(page).locator("[data-left]")).to_have_text("3")
        expect(_tile(page, signed=True).locator("[data-left]")).to_have_text("0")
        _thumb_reach(page)
        screenshot(page, f"offline-sale-waiting-{database.engine_name}", full_page=False)
        page.locator("summary", has_text="waiting to send").click()
        expect(page.locator("[data-waiting-items] li")).to_have_count(5)
        assert _small_targets(page) == []
        screenshot(page, f"offline-sale-waiting-page-{database.engine_name}")
        assert _sales(live_app, place) == []

        # Reloaded without a connection: the page comes from the service worker (as it
        # was before the phone went offline), and the sales still wait.
        response = page.reload()
        assert response is not None and response.from_service_worker
        expect(page.locator(".sell[data-ready=yes]")).to_have_attribute("data-copy", "kept")
        as_of = int(page.locator(".sell").get_attribute("data-as-of"))
        assert as_of < offline_at.timestamp() * 1000
        expect(net).to_contain_text("Offline")
        expect(net).to_contain_text("5 waiting to send")
        expect(_tile(page).locator("[data-left]")).to_have_text("3")

        # Closed, and opened again in a new page of the same browser: still there.
        page.close()
        page = context.new_page()
        _open(page, url)
        net = page.locator("#net")
        expect(net).to_contain_text("5 waiting to send")
        _thumb_reach(page)

        # Online: all five go, once, each dated when it was made on the phone.
        context.set_offline(False)
        expect(net).to_contain_text("0 waiting to send")
        expect(net).to_contain_text("Online")
        expect(page.locator("#sale-message")).to_contain_text("5 sales recorded")
        sales = _sales(live_app, place)
        assert len(sales) == 5
        for sale, (before, after) in zip(sales, made, strict=True):
            assert before - timedelta(seconds=1) <= sale.sold_at <= after + timedelta(seconds=1)
        assert [sorted((li.condition, li.qty) for li in s.lines) for s in sales] == [
            [("unsigned", 2)],
            [("signed", 1)],
            [("signed", 1), ("unsigned", 1)],
            [("unsigned", 1)],
            [("unsigned", 3)],
        ]
        assert [s.payment_method for s in sales] == [
            "cash",
            "card",
            "bank_transfer",
            "cash",
            "cash",
        ]
        assert sales[0].total_minor == 5000 and sales[3].total_minor == 1000
        assert sales[3].buyer_name == "Sam"
        expect(page.locator("#tally-line")).to_have_text("9 copies sold · £210.00 taken")
        expect(_tile(page).locator("[data-left]")).to_have_text("3")
        expect(page.locator("[data-stale]")).to_be_hidden()
        # The server's last sale can be undone; no sale waits.
        expect(page.locator(".last-sale")).to_contain_text("3 ×")
        assert errors == []
    finally:
        context.close()


def test_an_answer_lost_after_the_sale_was_recorded(browser, live_app, database):
    context, errors = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, live_app.url, TREASURER)
        url = _table(page, live_app.url, "Stall, lost answers", unsigned=5)
        _open(page, url)
        place = _place(page)
        sent: list[str] = []

        def lossy(route) -> None:
            sent.append(route.request.post_data or "")
            if len(sent) == 1:
                # The tracker records the sale; its answer is lost on the way back.
                route.fetch()
                route.abort("connectionreset")
            else:
                route.continue_()

        context.route(SALES, lossy)
        _tile(page).click()
        _record(page)
        expect(page.locator("#net")).to_contain_text("0 waiting to send", timeout=15000)
        expect(page.locator("#sale-message")).to_contain_text("Already recorded")
        assert len(sent) == 2
        # Both carried the same key, made on the phone.
        keys = {re.search(r'"key":"([0-9a-f-]{36})"', body).group(1) for body in sent}
        assert len(keys) == 1
        assert len(_sales(live_app, place)) == 1
        expect(page.locator("#tally-line")).to_have_text("1 copy sold · £25.00 taken")
        expect(_tile(page).locator("[data-left]")).to_have_text("4")
        assert errors == []
    finally:
        context.close()


def test_two_phones_sell_the_last_copies_at_once(browser, live_app, database):
    phones = [_phone(browser) for _ in range(2)]
    pages = [context.new_page() for context, _ in phones]
    try:
        log_in(pages[0], live_app.url, TREASURER)
        url = _table(pages[0], live_app.url, "Stall, last copies", unsigned=3)
        log_in(pages[1], live_app.url, TREASURER)
        for page in pages:
            _open(page, url)
            expect(_tile(page).locator("[data-left]")).to_have_text("3")
        place = _place(pages[0])
        # Both offline: each sells what its screen says is there, one copy a sale.
        for (context, _), page, count in zip(phones, pages, (3, 2), strict=True):
            context.set_offline(True)
            for _ in range(count):
                _tile(page).click()
                _record(page)
                page.wait_for_timeout(1100)
            expect(page.locator("#net")).to_contain_text(f"{count} waiting to send")
        # Online at once: the tracker decides.
        for context, _ in phones:
            context.set_offline(False)
        for page in pages:
            expect(page.locator("#net")).to_contain_text("0 waiting to send", timeout=15000)
        sales = _sales(live_app, place)
        assert len(sales) == 3 and sum(s.copies for s in sales) == 3
        refused = [page.locator(".refused-item").count() for page in pages]
        assert sum(refused) == 2
        shown = pages[0] if refused[0] else pages[1]
        item = shown.locator(".refused-item").first
        expect(item).to_contain_text(f"Not recorded: none left of {LENIN}")
        expect(item).to_contain_text("tell the buyer", ignore_case=True)
        expect(shown.locator("#net")).to_contain_text("refused")
        expect(_tile(shown).locator("[data-left]")).to_have_text("0")
        _thumb_reach(shown)
        assert _small_targets(shown) == []
        screenshot(shown, f"offline-sale-refused-{database.engine_name}", full_page=False)
        # Dismissed, it goes; until then it stays, through a reload.
        shown.reload()
        expect(shown.locator(".refused-item")).to_have_count(refused[pages.index(shown)])
        for _ in range(refused[pages.index(shown)]):
            shown.locator(".refused-item").first.get_by_role(
                "button", name=re.compile("Dismiss")
            ).click()
        expect(shown.locator("#refused")).to_be_hidden()
        for _, errors in phones:
            assert errors == []
    finally:
        for context, _ in phones:
            context.close()


def test_a_session_that_ended_elsewhere_logs_in_again_on_the_screen(browser, live_app, database):
    context, errors = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, live_app.url, TREASURER)
        url = _table(page, live_app.url, "Stall, logged out", unsigned=5)
        _open(page, url)
        place = _place(page)
        # Logged out elsewhere (the session is gone): the sales wait, and the screen
        # asks to log in again, without leaving the page.
        context.clear_cookies()
        _tile(page).click()
        _record(page)
        relogin = page.locator("#relogin")
        expect(relogin).to_be_visible()
        expect(page.locator("#net")).to_contain_text("Logged out")
        page.wait_for_timeout(1100)
        _tile(page).click()
        _tile(page).click()
        _record(page)
        expect(page.locator("#net")).to_contain_text("2 waiting to send")
        assert _sales(live_app, place) == []
        assert _small_targets(page) == []
        screenshot(page, f"offline-sale-log-in-again-{database.engine_name}", full_page=False)
        relogin.get_by_label("Email").fill(TREASURER)
        relogin.get_by_label("Password").fill("not the password")
        relogin.get_by_role("button", name="Log in and send").click()
        expect(relogin.locator("[data-login-error]")).to_contain_text("not right")
        relogin.get_by_label("Password").fill(PASSWORD)
        relogin.get_by_role("button", name="Log in and send").click()
        expect(page.locator("#net")).to_contain_text("0 waiting to send")
        expect(relogin).to_be_hidden()
        assert page.url == url
        assert len(_sales(live_app, place)) == 2

        # A stale token (the page's is not the session's): fetched again, and sent.
        page.evaluate("document.querySelector('meta[name=csrf-token]').content = 'stale'")
        page.wait_for_timeout(1100)
        _tile(page).click()
        _record(page)
        expect(page.locator("#net")).to_contain_text("0 waiting to send")
        expect(page.locator("#sale-message")).to_contain_text("Recorded")
        assert len(_sales(live_app, place)) == 3
        assert errors == []
    finally:
        context.close()


def test_a_double_tap_on_record_makes_one_sale(browser, live_app, database):
    context, errors = _phone(browser)
    page = context.new_page()
    try:
        log_in(page, live_app.url, TREASURER)
        url = _table(page, live_app.url, "Stall, double taps", unsigned=5)
        _open(page, url)
        place = _place(page)
        _tile(page).click()
        page.locator("button.record").dblclick()
        expect(page.locator("button.record")).to_contain_text("Saved")
        # The second tap neither records nor complains of an empty sale.
        expect(page.locator("[data-tiles-error]")).to_be_hidden()
        expect(page.locator("#sale-message")).to_contain_text("Recorded")
        page.locator("button.record").tap()
        page.wait_for_timeout(300)
        assert len(_sales(live_app, place)) == 1
        expect(page.locator("[data-tally=sales]")).to_have_text("1")

        # Undo: once, for the sale the server recorded.
        undo = page.get_by_role("button", name="Undo last sale")
        undo.dblclick()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("undone")
        assert _sales(live_app, place) == []
        assert errors == []
    finally:
        context.close()


def test_without_the_script_the_plain_form_sells(browser, live_app, database):
    context = browser.new_context(**{**PHONE, "java_script_enabled": False})
    page = context.new_page()
    try:
        log_in(page, live_app.url, TREASURER)
        page.goto(live_app.url + "/events")
        page.get_by_role("button", name="Sell from the store").click()
        page.locator(".tile").first.click()
        page.locator("#qty").fill("2")
        page.locator(".pill", has_text="Card").click()
        page.locator("button.record").click()
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("Sold 2 ×")
    finally:
        context.close()
