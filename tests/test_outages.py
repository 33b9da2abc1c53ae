"""When the database cannot serve: down, frozen, or locked by other work.

Every case answers 503 in time (well under gunicorn's 30 s worker timeout), with the
tracker's own page (or JSON for the sale screen's script) that needs no database, even
for a logged-in user; nothing is half-written, and the same sale sent again once the
database is back is recorded once. PostgreSQL is reached through a TCP proxy that the
tests freeze or cut: the shared server itself is never touched.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config import TestConfig
from tests.factories import World, csrf_token, log_in, make_user
from tests.tcp_proxy import TcpProxy
from tests.web.forms import form_values, page
from tracker import create_app
from tracker.db import db, make_engine
from tracker.domain.accounts import Role
from tracker.ledger import MoveLine
from tracker.models import Balance, Sale
from tracker.passwords import make_hasher
from tracker.services import places
from tracker.services.stock import post_document
from tracker.web.access import signed_in

# Small limits, so that each case takes a second or two.
LIMITS = {
    "DATABASE_CONNECT_TIMEOUT": 2,  # libpq's least
    "DATABASE_STATEMENT_TIMEOUT": 1,  # the client gives up on a silent server after 1.5 s
    "DATABASE_LOCK_TIMEOUT": 0.5,
    "SQLITE_BUSY_TIMEOUT": 0.5,
}
# An answer must come within this (the longest wait above is 2 + 1.5 s).
IN_TIME = 10
# A frozen server and a statement timeout are PostgreSQL's cases.
POSTGRESQL_ONLY = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


@dataclass
class Shop:
    """A database of its own (commits are real) with 20 copies in Britain's store and
    Britain's treasurer."""

    url: str
    email: str
    section_id: int
    store_id: int
    edition_id: int

    @property
    def sell(self) -> str:
        return f"/sections/{self.section_id}/sell"

    def sales(self) -> int:
        engine = make_engine(self.url)
        try:
            with Session(engine) as session:
                return session.scalar(select(func.count()).select_from(Sale))
        finally:
            engine.dispose()


@pytest.fixture
def shop(database, tmp_path) -> Shop:
    url = database.fresh()
    if not database.is_postgresql:
        # In a directory of its own, which a test can take away.
        path = tmp_path / "data" / "shop.sqlite"
        path.parent.mkdir()
        shutil.copyfile(make_url(url).database, path)
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    hasher = make_hasher(
        TestConfig.ARGON2_TIME_COST, TestConfig.ARGON2_MEMORY_COST, TestConfig.ARGON2_PARALLELISM
    )
    try:
        with Session(engine) as session:
            world = World.build(session).stocked(20)
            user = make_user(session, hasher, Role.TREASURER, "GB")  # commits
            store = world.loc("GB-STORE")
            return Shop(url, user.email, store.section_id, store.id, world.edition.id)
    finally:
        engine.dispose()


def _app(url: str, **config):
    return create_app(TestConfig, {"DATABASE_URL": url, **LIMITS, **config})


def _sale(client, shop: Shop) -> dict[str, str]:
    """The sale screen's form, filled in: 2 copies, cash (with its key and CSRF token)."""
    form = page(client, shop.sell).find("form", class_="sale-form")
    return {
        **form_values(form),
        "item": f"{shop.edition_id}:unsigned",
        "qty": "2",
        "payment": "cash",
    }


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _assert_unavailable(response, title: str) -> None:
    """503 with the tracker's own page, as to a visitor (the page needs no database)."""
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("a", class_="brand").get_text(strip=True) == "Book tracker"
    assert soup.find("h1").get_text(" ", strip=True).startswith(title)
    assert "try again" in soup.find("main").get_text(" ")
    assert "Traceback" not in str(soup)


def _assert_unavailable_json(response, title: str) -> None:
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json["error"] == title
    assert "was not saved" in response.json["message"]
    assert response.json["retry_after"] == int(response.headers["Retry-After"])


def _json_post(client, url: str, data: dict):
    return client.post(url, data=data, headers={"Accept": "application/json"})


def test_a_database_that_is_down_answers_503_with_the_trackers_page(shop, database):
    proxy = TcpProxy(*_host_port(shop.url)) if database.is_postgresql else None
    app = _app(proxy.url(shop.url) if proxy else shop.url)
    client = app.test_client()
    log_in(client, shop.email)
    sale = _sale(client, shop)

    if proxy:
        proxy.cut()
    else:
        # The disk it lived on is gone, and the connections are opened again.
        folder = Path(make_url(shop.url).database).parent
        folder.rename(folder.with_name("elsewhere"))
        app.extensions["tracker.db"].engine.dispose()

    title = "The database cannot be reached"
    response, took = _timed(lambda: client.get(shop.sell))
    _assert_unavailable(response, title)
    assert took < IN_TIME
    response, took = _timed(lambda: client.post(shop.sell, data=sale))
    _assert_unavailable(response, title)
    response, took = _timed(lambda: _json_post(client, shop.sell, sale))
    _assert_unavailable_json(response, title)
    assert took < IN_TIME
    app.extensions["tracker.db"].engine.dispose()

    if not proxy:
        folder.with_name("elsewhere").rename(folder)
    assert shop.sales() == 0
    # Back up (the app started again, the person still logged in), the same sale sent
    # again is recorded, once.
    back = _app(shop.url)
    cookie = client.get_cookie(TestConfig.SESSION_COOKIE_NAME)
    client = back.test_client()
    client.set_cookie(cookie.key, cookie.value)
    assert _json_post(client, shop.sell, sale).json["ok"] is True
    again = _json_post(client, shop.sell, sale).json
    assert again["ok"] is True and "already recorded" in again["message"]
    assert shop.sales() == 1
    back.extensions["tracker.db"].engine.dispose()


def _host_port(url: str) -> tuple[str, int]:
    parsed = make_url(url)
    return parsed.host or "127.0.0.1", parsed.port or 5432


@POSTGRESQL_ONLY
def test_a_frozen_postgresql_answers_503_in_time(shop):
    """The server (or the network to it) stops answering: its own timeouts cannot fire,
    the client's does. (SQLite's case is a held lock, below.)"""
    proxy = TcpProxy(*_host_port(shop.url))
    app = _app(proxy.url(shop.url))
    client = app.test_client()
    log_in(client, shop.email)
    sale = _sale(client, shop)

    proxy.freeze()
    response, took = _timed(lambda: client.get(shop.sell))
    assert took < IN_TIME
    _assert_unavailable(response, "The database")
    response, took = _timed(lambda: _json_post(client, shop.sell, sale))
    assert took < IN_TIME
    _assert_unavailable_json(response, response.json["error"])
    assert response.json["error"] in (
        "The database is not answering",
        "The database cannot be reached",
    )

    proxy.thaw()
    assert _json_post(client, shop.sell, sale).json["ok"] is True
    assert shop.sales() == 1
    proxy.cut()
    app.extensions["tracker.db"].engine.dispose()


@POSTGRESQL_ONLY
def test_a_postgresql_that_freezes_at_commit_answers_503_and_a_resend_lands_once(shop):
    """The sale is written, then the server stops answering before it confirms the
    commit: the person is told it was not recorded; the same sale sent again is recorded
    once (whether the first commit reached the server or not)."""
    proxy = TcpProxy(*_host_port(shop.url))
    app = _app(proxy.url(shop.url))
    client = app.test_client()
    log_in(client, shop.email)
    sale = _sale(client, shop)

    factory = app.extensions["tracker.db"].session_factory

    def freeze_at_commit(_session) -> None:
        proxy.freeze()

    event.listen(factory, "before_commit", freeze_at_commit)
    response, took = _timed(lambda: _json_post(client, shop.sell, sale))
    event.remove(factory, "before_commit", freeze_at_commit)
    assert took < IN_TIME
    _assert_unavailable_json(response, "The database is not answering")

    proxy.thaw()
    again = _json_post(client, shop.sell, sale)
    assert again.status_code == 200 and again.json["ok"] is True
    assert shop.sales() == 1
    proxy.cut()
    app.extensions["tracker.db"].engine.dispose()


class _HeldLock:
    """Another connection holding what a sale needs: SQLite's write lock (BEGIN
    IMMEDIATE), or on PostgreSQL the row of the store's stock (SELECT ... FOR UPDATE).
    Let go after ``hold`` seconds at most, so that a test that waits forever fails
    instead of hanging."""

    def __init__(self, shop: Shop, hold: float = 15):
        self.engine = make_engine(shop.url)
        self.connection = self.engine.connect()
        if self.engine.dialect.name == "sqlite":
            self.connection.execute(select(1))  # BEGIN IMMEDIATE: the write lock
        else:
            self.connection.execute(
                select(Balance).where(Balance.location_id == shop.store_id).with_for_update()
            )
        self.timer = threading.Timer(hold, self.release)
        self.timer.start()

    def release(self) -> None:
        self.timer.cancel()
        if not self.connection.closed:
            self.connection.rollback()
            self.connection.close()
        self.engine.dispose()


def test_a_locked_database_answers_503_busy_in_time(shop):
    app = _app(shop.url)
    client = app.test_client()
    log_in(client, shop.email)
    sale = _sale(client, shop)

    lock = _HeldLock(shop)
    try:
        response, took = _timed(lambda: client.post(shop.sell, data=sale))
        assert took < IN_TIME
        _assert_unavailable(response, "Busy, try again")
        response, took = _timed(lambda: _json_post(client, shop.sell, sale))
        assert took < IN_TIME
        _assert_unavailable_json(response, "Busy, try again")
        assert response.headers["Retry-After"] == "5"
        # Reading does not wait for a writer.
        assert client.get(shop.sell).status_code == 200
    finally:
        lock.release()
    assert shop.sales() == 0
    assert _json_post(client, shop.sell, sale).json["ok"] is True
    assert _json_post(client, shop.sell, sale).json["ok"] is True
    assert shop.sales() == 1
    app.extensions["tracker.db"].engine.dispose()


@POSTGRESQL_ONLY
def test_a_statement_that_runs_too_long_answers_503(shop):
    """PostgreSQL's statement timeout (here a lock wait with no lock timeout of its own;
    SQLite's statements wait only for the write lock, the busy timeout)."""
    app = _app(shop.url, DATABASE_LOCK_TIMEOUT=0)
    client = app.test_client()
    log_in(client, shop.email)
    sale = _sale(client, shop)
    lock = _HeldLock(shop)
    try:
        response, took = _timed(lambda: _json_post(client, shop.sell, sale))
    finally:
        lock.release()
    assert took < IN_TIME
    _assert_unavailable_json(response, "The database is not answering")
    assert shop.sales() == 0
    app.extensions["tracker.db"].engine.dispose()


def test_an_error_that_is_not_the_databases_still_answers_500(shop):
    app = _app(shop.url)

    @app.post("/boom")
    @signed_in
    def boom():
        db.session.execute(select(1))
        raise RuntimeError("secret internals")

    client = app.test_client()
    log_in(client, shop.email)
    response = client.post("/boom", data={"csrf_token": csrf_token(client, shop.sell)})
    assert response.status_code == 500 and "Retry-After" not in response.headers
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "nothing was saved" in soup.find("main").get_text(" ")
    assert "secret internals" not in str(soup)
    # The person is still shown as logged in (their name in the navigation).
    assert soup.find(class_="user-menu") is not None
    app.extensions["tracker.db"].engine.dispose()


# -- tracker ledger check reads only ---------------------------------------------------------


def _cli_app(shop: Shop):
    return create_app(TestConfig, {"DATABASE_URL": shop.url, **LIMITS})


def test_ledger_check_runs_while_another_connection_holds_the_write_lock(shop, database):
    app = _cli_app(shop)
    holder = make_engine(shop.url)
    with holder.connect() as connection:
        if database.is_postgresql:
            connection.execute(text("LOCK TABLE moves, balances, weekly_flows IN EXCLUSIVE MODE"))
        else:
            connection.execute(select(1))  # BEGIN IMMEDIATE: SQLite's write lock
        result, took = _timed(lambda: app.test_cli_runner().invoke(args=["ledger", "check"]))
        connection.rollback()
    holder.dispose()
    assert result.exit_code == 0, result.output
    assert "no differences" in result.output
    assert took < IN_TIME
    app.extensions["tracker.db"].engine.dispose()


def test_ledger_check_sees_one_moment_while_others_post(shop):
    """A transfer committed while the check runs (after it summed the moves, before it
    read the balances) is in neither: no false difference, and the writer did not wait."""
    app = _cli_app(shop)
    writer = make_engine(shop.url, sqlite_busy_timeout=0.5)
    posted = []

    def post_now(_conn, _cursor, statement, *_args) -> None:
        if posted or "balances.qty" not in statement:
            return
        with Session(writer) as session:
            table = places.location_by_code(session, "GB-EV")
            line = MoveLine("transfer", shop.edition_id, 3, shop.store_id, table.id)
            posted.append(post_document(session, "transfer", [line]).id)
            session.commit()

    engine = app.extensions["tracker.db"].engine
    event.listen(engine, "before_cursor_execute", post_now)
    result = app.test_cli_runner().invoke(args=["ledger", "check"])
    event.remove(engine, "before_cursor_execute", post_now)
    assert posted, result.output
    assert result.exit_code == 0, result.output
    assert "no differences" in result.output
    # The next check sees the transfer.
    again = app.test_cli_runner().invoke(args=["ledger", "check"])
    assert again.exit_code == 0 and again.output != result.output
    writer.dispose()
    app.extensions["tracker.db"].engine.dispose()
