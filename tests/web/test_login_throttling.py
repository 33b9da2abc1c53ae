"""Throttled password guesses: a guesser is stopped, the account's owner still gets in;
the client's address behind trusted proxies; failed and refused attempts in the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from config import TestConfig
from tests.conftest import _bind_to_rolled_back_connection
from tests.factories import PASSWORD, csrf_token, log_in
from tracker import create_app
from tracker.domain.accounts import Role
from tracker.models import AuditEntry
from tracker.web.auth.throttle import DEVICE_COOKIE

THROTTLED = "Too many failed attempts to log in"
WRONG = "not the password at all"


def _client(app, address: str, **headers):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.headers = headers
    return client


def _login(client, email: str, password: str):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
        headers=getattr(client, "headers", {}),
    )


def _entries(session, kind: str) -> list[AuditEntry]:
    session.expire_all()
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id))
    )


def test_a_guesser_is_stopped_and_the_owner_still_gets_in(app, make_user):
    admin = make_user(Role.ADMIN)
    guesser = _client(app, "198.51.100.7")
    for _ in range(5):
        assert _login(guesser, admin.email, WRONG).status_code == 200
    # The guesser's address is stopped for this account, even with the right password...
    response = _login(guesser, admin.email, PASSWORD)
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    assert _login(_client(app, "198.51.100.7"), admin.email, PASSWORD).status_code == 429
    # ... and the admin, from another address, logs in.
    assert _login(_client(app, "203.0.113.9"), admin.email, PASSWORD).status_code == 302


def test_one_address_cannot_try_many_accounts(app, make_user):
    user = make_user(Role.COORDINATOR)
    guesser = _client(app, "198.51.100.7")
    for n in range(20):
        assert _login(guesser, f"someone{n}@example.org", WRONG).status_code == 200
    assert _login(guesser, user.email, PASSWORD).status_code == 429
    assert _login(_client(app, "203.0.113.9"), user.email, PASSWORD).status_code == 302


def test_guesses_from_many_addresses_add_up_but_a_known_browser_gets_in(app, make_user):
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = "8 per 15 minutes"
    admin = make_user(Role.ADMIN)
    laptop = _client(app, "203.0.113.9")
    response = _login(laptop, admin.email, PASSWORD)  # this browser now knows the account
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if DEVICE_COOKIE in c)
    for flag in ("HttpOnly", "Path=/login", "SameSite=Lax", "Max-Age=31536000"):
        assert flag in cookie
    assert admin.email not in cookie  # the account is named by a digest
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/")})
    for n in range(4):
        guesser = _client(app, f"198.51.100.{n}")
        for _ in range(2):
            assert _login(guesser, admin.email, WRONG).status_code == 200
    # Eight failures in all: a browser that never logged in to the account waits...
    assert _login(_client(app, "192.0.2.1"), admin.email, PASSWORD).status_code == 429
    # ... the admin's own browser does not, from wherever it is.
    laptop.environ_base["REMOTE_ADDR"] = "198.51.100.0"
    assert _login(laptop, admin.email, PASSWORD).status_code == 302


def test_a_known_browser_is_counted_on_its_own_and_for_its_accounts_only(app, make_user):
    mine = make_user(Role.ADMIN)
    other = make_user(Role.COORDINATOR)
    laptop = _client(app, "203.0.113.9")
    log_in(laptop, mine.email)
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/")})
    for _ in range(5):
        assert _login(laptop, mine.email, WRONG).status_code == 200
    assert _login(laptop, mine.email, PASSWORD).status_code == 429
    # Its failures were not counted against its address: another browser there gets in.
    assert _login(_client(app, "203.0.113.9"), mine.email, PASSWORD).status_code == 302
    # For an account it never logged in to, it is a browser like any other.
    for _ in range(5):
        assert _login(laptop, other.email, WRONG).status_code == 200
    assert _login(laptop, other.email, PASSWORD).status_code == 429


def test_a_forged_browser_cookie_changes_nothing(app, make_user):
    admin = make_user(Role.ADMIN)
    guesser = _client(app, "198.51.100.7")
    guesser.set_cookie(DEVICE_COOKIE, '{"id": "x", "accounts": ["anything"]}', path="/login")
    for _ in range(5):
        assert _login(guesser, admin.email, WRONG).status_code == 200
    assert _login(guesser, admin.email, PASSWORD).status_code == 429


@pytest.fixture
def proxied_app(database):
    """The app behind one trusted proxy (TRUSTED_PROXIES=1)."""
    app = create_app(TestConfig, {"DATABASE_URL": database.url, "TRUSTED_PROXIES": 1})
    undo = _bind_to_rolled_back_connection(app)
    try:
        yield app
    finally:
        undo()


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(proxied_app):
    from tests.factories import make_user

    session = proxied_app.extensions["tracker.db"].session_factory()
    admin = make_user(session, proxied_app.extensions["tracker.hasher"], Role.ADMIN)
    session.close()
    # Every request comes from the proxy; the proxy adds the client's address last.
    first = _client(proxied_app, "10.0.0.2", **{"X-Forwarded-For": "198.51.100.7"})
    for n in range(20):
        # What the client itself sends in X-Forwarded-For is not believed.
        first.headers["X-Forwarded-For"] = f"192.0.2.{n}, 198.51.100.7"
        assert _login(first, f"someone{n}@example.org", WRONG).status_code == 200
    assert _login(first, admin.email, PASSWORD).status_code == 429
    second = _client(proxied_app, "10.0.0.2", **{"X-Forwarded-For": "203.0.113.9"})
    assert _login(second, admin.email, PASSWORD).status_code == 302
    entry = _entries(proxied_app.extensions["tracker.db"].session_factory(), "user.login_failed")
    assert entry[-1].after["address"] == "198.51.100.7"


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, make_user):
    user = make_user(Role.COORDINATOR)
    guesser = _client(app, "10.0.0.2")
    for n in range(20):
        # A spoofed X-Forwarded-For does not make another address of the same peer.
        guesser.headers = {"X-Forwarded-For": f"192.0.2.{n}"}
        assert _login(guesser, f"someone{n}@example.org", WRONG).status_code == 200
    guesser.headers = {"X-Forwarded-For": "203.0.113.200"}
    assert _login(guesser, user.email, PASSWORD).status_code == 429


def test_trusted_proxies_must_be_a_count(database):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES must be 0 or more"):
        create_app(TestConfig, {"DATABASE_URL": database.url, "TRUSTED_PROXIES": -1})


def test_failed_and_throttled_logins_are_in_the_audit_trail(app, make_user, session):
    admin = make_user(Role.ADMIN)
    coordinator = make_user(Role.COORDINATOR)
    guesser = _client(app, "198.51.100.7")
    assert _login(guesser, admin.email.upper(), WRONG).status_code == 200
    assert _login(guesser, "Nobody@Example.org", WRONG).status_code == 200
    failed = _entries(session, "user.login_failed")
    assert [(e.user_id, e.object_id, e.after) for e in failed] == [
        (None, str(admin.id), {"email": admin.email.upper(), "address": "198.51.100.7"}),
        # An unknown email: no account, and the email as it was typed.
        (None, None, {"email": "Nobody@Example.org", "address": "198.51.100.7"}),
    ]
    assert "Nobody@Example.org" in failed[1].summary and "198.51.100.7" in failed[1].summary
    for _ in range(4):
        _login(guesser, coordinator.email, WRONG)
    _login(guesser, coordinator.email, WRONG)
    # Refused (429): the request's transaction is rolled back, the audit row stays.
    assert _login(guesser, coordinator.email, PASSWORD).status_code == 429
    throttled = _entries(session, "user.login_throttled")
    assert len(throttled) == 1
    assert throttled[0].object_id == str(coordinator.id)
    assert throttled[0].after == {
        "email": coordinator.email,
        "address": "198.51.100.7",
        "limit": "for this account from this address",
    }
    # The passwords tried are nowhere.
    for entry in _entries(session, "user.login_failed") + throttled:
        assert WRONG not in str(entry.after) + entry.summary
        assert PASSWORD not in str(entry.after) + entry.summary
    # Admins read them on the audit page.
    admin_client = _client(app, "203.0.113.9")
    log_in(admin_client, admin.email)
    page = admin_client.get("/audit?kind=user.login_failed").get_data(as_text=True)
    assert "Nobody@Example.org" in page and "not logged in" in page


def test_known_and_unknown_emails_cost_the_same(app, make_user):
    """A failed login does the same work whether the email names an account or not."""
    user = make_user(Role.COORDINATOR)
    engine = app.extensions["tracker.db"].engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0])

    costs = {}
    for email in (user.email, "nobody@example.org"):
        client = _client(app, "198.51.100.7")
        token = csrf_token(client)
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            client.post("/login", data={"email": email, "password": WRONG, "csrf_token": token})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        costs[email] = list(statements)
    assert costs[user.email] == costs["nobody@example.org"]
    assert "INSERT" in costs[user.email]


def _change(client, current: str):
    return client.post(
        "/account/password",
        data={
            "current": current,
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )


def test_the_current_password_check_is_throttled_per_account(app, make_user, session):
    user = make_user(Role.COORDINATOR)
    laptop, phone = _client(app, "203.0.113.9"), _client(app, "198.51.100.7")
    log_in(laptop, user.email)
    log_in(phone, user.email)
    for _ in range(5):
        response = _change(laptop, "a wrong guess of mine")
        assert response.status_code == 200
        assert "The current password is not right." in response.get_data(as_text=True)
    response = _change(laptop, PASSWORD)
    assert response.status_code == 429
    assert "Too many wrong current passwords for this account" in response.get_data(as_text=True)
    # The account is counted, whichever session or address: the phone waits too.
    assert _change(phone, PASSWORD).status_code == 429
    # Another account is not affected.
    other = make_user(Role.COORDINATOR)
    theirs = _client(app, "203.0.113.9")
    log_in(theirs, other.email)
    assert _change(theirs, PASSWORD).status_code == 302
    failed = _entries(session, "user.password_check_failed")
    assert [(e.user_id, e.object_id) for e in failed] == [(user.id, str(user.id))] * 5
    assert failed[0].after == {"address": "203.0.113.9"}
    throttled = _entries(session, "user.password_check_throttled")
    assert [e.after["address"] for e in throttled] == ["203.0.113.9", "198.51.100.7"]
    # The password did not change.
    assert _login(_client(app, "192.0.2.1"), user.email, PASSWORD).status_code == 302
