"""Logging in and out, sessions, passwords, CSRF, security headers."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import ProductionConfig
from tests.factories import PASSWORD, csrf_token, log_in
from tracker import create_app
from tracker.domain.accounts import Role
from tracker.models import User
from tracker.passwords import make_hasher

FAILED = "Email or password is not right, or the account is not active."


def _login(client, email: str, password: str):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


def test_login_and_logout(app, make_user):
    user = make_user(Role.COORDINATOR)
    client = app.test_client()
    assert client.get("/").status_code == 302
    response = _login(client, user.email.upper(), PASSWORD)  # any case
    # Coordinators land on their dashboard.
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    page = client.get("/").get_data(as_text=True)
    assert user.name in page and "Coordinator" in page
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "deactivated", "empty"])
def test_failed_logins_all_say_the_same(app, make_user, session, case):
    user = make_user(Role.ADMIN)
    email, password = user.email, PASSWORD
    if case == "wrong password":
        password = "not the password at all"
    elif case == "unknown email":
        email = "nobody@example.org"
    elif case == "deactivated":
        session.get(User, user.id).active = False
        session.commit()
    elif case == "empty":
        email = password = ""
    client = app.test_client()
    response = _login(client, email, password)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    if case == "empty":
        assert "Give your email and your password." in body
    else:
        assert FAILED in body
    assert "not found" not in body.lower() and "deactivated" not in body
    assert client.get("/").status_code == 302


def test_login_is_throttled_per_account(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    for _ in range(5):
        assert _login(client, user.email, "wrong wrong wrong").status_code == 200
    # The sixth attempt from this address is refused, even with the right password
    # (from another address, the owner gets in: see test_login_throttling).
    response = _login(app.test_client(), user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts to log in" in response.get_data(as_text=True)
    # Another account is not affected.
    other = make_user(Role.ADMIN)
    assert _login(app.test_client(), other.email, PASSWORD).status_code == 302


def test_login_is_throttled_per_address(app):
    client = app.test_client()
    for n in range(20):
        assert _login(client, f"someone{n}@example.org", "wrong wrong wrong").status_code == 200
    assert _login(client, "someone-else@example.org", "wrong").status_code == 429


def test_successful_logins_do_not_count(app, make_user):
    user = make_user(Role.ADMIN)
    for _ in range(8):
        client = app.test_client()
        assert _login(client, user.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("target", "lands"),
    [
        ("/locations/GB-STORE", "/locations/GB-STORE"),
        ("/audit?kind=user.login", "/audit?kind=user.login"),
        ("//evil.example.com/x", "/dashboard"),
        ("https://evil.example.com/", "/dashboard"),
        ("/\\evil.example.com", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("http:/evil.example.com", "/dashboard"),
        ("/%0d%0aSet-Cookie:x=y", "/%0d%0aSet-Cookie:x=y"),
        ("\t//evil.example.com", "/dashboard"),
    ],
)
def test_next_only_goes_to_a_local_path(app, make_user, target, lands):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == lands


def test_a_post_without_csrf_token_is_refused(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    log_in(client, user.email)
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 400
    # The token is also accepted in a header, for scripts.
    token = csrf_token(client, "/")
    assert client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302


def test_the_session_is_cleared_at_login(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sessions_have_an_absolute_lifetime(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    log_in(client, user.email)
    assert client.get("/").status_code == 200
    app.config["SESSION_LIFETIME"] = timedelta(seconds=0)
    response = client.get("/audit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    app.config["SESSION_LIFETIME"] = timedelta(hours=12)
    assert client.get("/").status_code == 302  # the session was ended, not just refused


def test_logout_ends_every_session_of_the_account(app, make_user):
    user = make_user(Role.ADMIN)
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, user.email)
    log_in(phone, user.email)
    assert phone.get("/").status_code == 200
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/")})
    assert phone.get("/").status_code == 302


def test_changing_the_password_ends_the_other_sessions(app, make_user):
    user = make_user(Role.COORDINATOR)
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, user.email)
    log_in(phone, user.email)
    response = laptop.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "confirm": "a brand new passphrase",
            "csrf_token": csrf_token(laptop, "/account/password"),
        },
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200  # this session goes on
    assert phone.get("/").status_code == 302  # the other one has ended
    fresh = app.test_client()
    assert _login(fresh, user.email, PASSWORD).status_code == 200
    assert _login(fresh, user.email, "a brand new passphrase").status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        (PASSWORD, "short", "short", "The password must have at least 12 characters (5 given)."),
        (PASSWORD, "qwertyuiop123", "qwertyuiop123", "one of the most common ones"),
        (PASSWORD, "one good passphrase", "another passphrase", "The two passwords differ."),
        (PASSWORD, PASSWORD, PASSWORD, "The new password must differ from the current one."),
        (PASSWORD, "x" * 129, "x" * 129, "Field cannot be longer than 128 characters."),
        (
            "not my password",
            "one good passphrase",
            "one good passphrase",
            "The current password is not right.",
        ),
    ],
)
def test_password_rules(app, make_user, current, new, confirm, message):
    user = make_user(Role.COORDINATOR)
    client = app.test_client()
    log_in(client, user.email)
    response = client.post(
        "/account/password",
        data={
            "current": current,
            "new": new,
            "confirm": confirm,
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _login(app.test_client(), user.email, PASSWORD).status_code == 302


def test_long_passwords_and_any_characters_are_fine(app, make_user):
    passphrase = "Ünïcödé, spaces and 64 characters are all fine: " + "x" * 16
    assert len(passphrase) == 64
    user = make_user(Role.COORDINATOR, password=passphrase)
    assert _login(app.test_client(), user.email, passphrase).status_code == 302


def test_hashes_are_argon2id_and_rehashed_when_the_parameters_change(
    database, session, app, make_user
):
    user = make_user(Role.ADMIN)
    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored.startswith("$argon2id$") and "m=1024,t=1,p=1" in stored
    app.extensions["tracker.hasher"] = make_hasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert _login(app.test_client(), user.email, PASSWORD).status_code == 302
    session.expire_all()
    rehashed = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert "m=2048,t=2,p=1" in rehashed


def test_an_account_with_a_given_password_must_choose_its_own(app, login, session):
    admin = login(Role.ADMIN)
    response = admin.post(
        "/admin/users/new",
        data={
            "email": "new.treasurer@example.org",
            "name": "New",
            "role": "distributor",
            "section_id": "none",
            "csrf_token": csrf_token(admin, "/admin/users/new"),
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    given = page.split('id="password">')[1].split("<")[0]
    client = app.test_client()
    assert _login(client, "new.treasurer@example.org", given).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    response = client.post(
        "/account/password",
        data={
            "current": given,
            "new": "my very own passphrase",
            "confirm": "my very own passphrase",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def _headers_ok(response, *, hsts: bool) -> None:
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert ("Strict-Transport-Security" in response.headers) is hsts


def test_security_headers_on_every_response(app, make_user):
    user = make_user(Role.ADMIN)
    client = app.test_client()
    for url in ("/login", "/healthz", "/nowhere", "/"):
        with client.get(url) as response:
            _headers_ok(response, hsts=False)
    log_in(client, user.email)
    for url in ("/", "/audit", "/admin/users", "/static/css/app.css"):
        with client.get(url) as response:
            _headers_ok(response, hsts=False)
    with client.post("/logout") as response:  # 400: no CSRF token
        _headers_ok(response, hsts=False)


def test_production_cookies_and_hsts(database, tmp_path):
    app = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database.url,
            "INSTANCE_PATH": str(tmp_path),
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        },
    )
    response = app.test_client().get("/login", base_url="https://tracker.example.org")
    _headers_ok(response, hsts=True)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-tracker_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain" not in cookie
    app.extensions["tracker.db"].engine.dispose()


def test_development_cookies(app):
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert cookie.startswith("tracker_session=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_production_refuses_per_process_throttling(database, tmp_path):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must be shared storage"):
        create_app(
            ProductionConfig,
            {
                "SECRET_KEY": secrets.token_urlsafe(48),
                "DATABASE_URL": database.url,
                "INSTANCE_PATH": str(tmp_path),
                "RATELIMIT_STORAGE_URI": "memory://",
            },
        )


def test_request_size_is_limited(app):
    client = app.test_client()
    response = client.post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413


def test_trusted_hosts(database):
    from config import TestConfig

    app = create_app(
        TestConfig, {"DATABASE_URL": database.url, "TRUSTED_HOSTS": ["tracker.example.org"]}
    )
    client = app.test_client()
    assert client.get("/healthz", base_url="http://tracker.example.org").status_code == 200
    assert client.get("/healthz", base_url="http://evil.example.com").status_code == 400
    app.extensions["tracker.db"].engine.dispose()


def test_pages_and_exports_are_never_cached_but_static_assets_are(demo_login, demo_app):
    client = demo_login("coordinator@example.org")
    for url in (
        "/",
        "/dashboard",
        "/audit",
        "/dashboard?format=csv&table=rows",
        "/dashboard?format=xlsx&table=rows",
    ):
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "no-store", url
    assert (
        "attachment"
        in client.get("/dashboard?format=csv&table=rows").headers["Content-Disposition"]
    )
    # The login page holds the session's CSRF token; error pages are pages too.
    for url in ("/login", "/nowhere"):
        with demo_app.test_client().get(url) as response:
            assert response.headers["Cache-Control"] == "no-store", url
    with client.get("/static/css/app.css") as response:
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", "")
