"""A live server and headless Chromium (Debian's ``chromium`` package) through Playwright.

Playwright never downloads a browser here: it drives the system's Chromium through
``executable_path``. Without Chromium the browser tests are skipped, except under CI
(``CI=true``), where that is an error.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import TestConfig
from tests.browser import sales_endpoint
from tests.factories import PASSWORD
from tracker import create_app

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _chromium() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass(frozen=True)
class Live:
    """A served app: its URL, and the app (for a test that reads its database)."""

    url: str
    app: object


@pytest.fixture
def live_app(database, demo_url: str) -> Iterator[Live]:
    """The app on a copy of the demo campaign, served over HTTP on a free port. The demo
    accounts' password is ``tests.factories.PASSWORD``."""
    app = create_app(TestConfig, {"DATABASE_URL": database.clone(demo_url)})
    # The sale screen's sales endpoint, until the app has its own.
    sales_endpoint.install(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        engine = app.extensions["tracker.db"].engine
        # A request the browser left under way (its threads are the server's daemons)
        # may still hold a connection: it is given a moment to give it back, so that
        # no connection is left open behind the test (and closed by a later one's
        # garbage collector, as a ResourceWarning there).
        deadline = time.monotonic() + 10
        while getattr(engine.pool, "checkedout", lambda: 0)() and time.monotonic() < deadline:
            time.sleep(0.05)
        engine.dispose()


@pytest.fixture
def live_demo(live_app: Live) -> str:
    """The URL of the app on a copy of the demo campaign (see ``live_app``)."""
    return live_app.url


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/static/" in r.url
            else None
        ),
    )

    # Which request failed, and how (the console says only "Failed to load resource").
    # A request cut short by the next navigation is aborted, which is no fault.
    page.on(
        "requestfailed",
        lambda r: (
            errors.append(f"{r.failure} {r.method} {r.url}")
            if r.failure != "net::ERR_ABORTED"
            else None
        ),
    )
    yield page
    context.close()
    # A page answering 403, 404, 410 (a used link) or 422 (a form sent back with its
    # errors) is logged as a failed load: the tests do that on purpose. A connection
    # reset comes from the development server the tests run on, now and then under load
    # (a static file or the favicon, while the page itself loaded): the app answers no
    # request that way.
    # Anything else (a script error, a missing stylesheet, a 500) is a failure.
    unexpected = [
        e
        for e in errors
        if not re.match(r"Failed to load resource: .* status of (40[34]|410|422)", e)
        and "net::ERR_CONNECTION_RESET" not in e
        # (The same, when the test's last page still fetched its icon as the server
        # stopped.)
        and "net::ERR_SOCKET_NOT_CONNECTED" not in e
    ]

    assert unexpected == [], unexpected


def log_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Log in through the login page, as a person would (as someone else than before:
    the cookies of an earlier login are dropped)."""
    page.context.clear_cookies()
    page.goto(base + "/login")

    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    # Wait for the page it lands on to load whole (the dashboard's scripts too), so that
    # the test's next step does not cut its requests short.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Log in").click()
    assert "/login" not in page.url, page.locator("main").inner_text()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """The page as a PNG in tests/screenshots; the whole page, or what is in view."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
