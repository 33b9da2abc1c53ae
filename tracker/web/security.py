"""The Flask extensions that guard every request: login sessions, CSRF, throttling,
security headers.

Each is a well-kept library, configured here once:

* Flask-Login keeps who is logged in. The cookie holds the account's ``alt_id``, which
  changes at logout, password change or reset, and deactivation: every session of the
  account ends then. The session is cleared at login and lives ``SESSION_LIFETIME`` from
  the login at most.
* Flask-WTF's CSRFProtect checks a token on every state-changing request (form field
  ``csrf_token`` or header ``X-CSRFToken``).
* Flask-Limiter counts failed logins (see ``tracker.web.auth.throttle``) and wrong current
  passwords, in shared storage (Redis in production) so that several app processes
  count together. Behind ``TRUSTED_PROXIES`` proxies, the address is the client's
  (Werkzeug's ProxyFix).
* Flask-Talisman sets the Content-Security-Policy (no inline scripts or styles), frame,
  content-type and referrer headers, and HSTS in production.
* Every response but the static assets says ``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import audit
from tracker.db import db
from tracker.models import User
from tracker.passwords import make_hasher
from tracker.web import access
from tracker.web.problems import is_api, unauthenticated

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    # The sale screen's service worker and web app manifest (both from the tracker).
    "worker-src": "'self'",
    "manifest-src": "'self'",
}


def init_app(app: Flask) -> None:
    if app.config["NAME"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith(
        "memory"
    ):
        raise RuntimeError(
            "RATELIMIT_STORAGE_URI must be shared storage in production (redis://...): "
            "in memory, every app process would count failed logins on its own."
        )
    _trust_proxies(app)
    app.extensions["tracker.hasher"] = make_hasher(
        app.config["ARGON2_TIME_COST"],
        app.config["ARGON2_MEMORY_COST"],
        app.config["ARGON2_PARALLELISM"],
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "message"
    login_manager.session_protection = None  # the alt_id and the lifetime do this job
    app.before_request(_end_expired_session)
    app.before_request(access.check)
    app.before_request(_actor_for_audit)
    app.after_request(_no_store)
    csrf.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy in front
        strict_transport_security=app.config["HSTS"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, the client's address and scheme are the ones the
    proxies put in X-Forwarded-For and X-Forwarded-Proto (Werkzeug's ProxyFix takes the
    given number of values from the right, the ones the trusted proxies added).
    Without it nothing of the kind is believed: anyone can send those headers."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies < 0:
        raise RuntimeError(f"TRUSTED_PROXIES must be 0 or more, not {proxies}")
    if proxies:
        # Flask's documented way to wrap its WSGI app; its types call wsgi_app a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )


def hasher():
    return current_app.extensions["tracker.hasher"]


@login_manager.user_loader
def _load_user(alt_id: str) -> User | None:
    user = db.session.scalar(select(User).where(User.alt_id == alt_id))
    return user if user is not None and user.active else None


def start_session(user: User) -> None:
    """Log ``user`` in on a fresh session (no fixation), for SESSION_LIFETIME at most."""
    from flask_login import login_user

    session.clear()
    login_user(user)
    session.permanent = True
    session["login_at"] = datetime.now(UTC).timestamp()


def end_session() -> None:
    logout_user()
    session.clear()


def _end_expired_session():
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    if g.get("api_token") is not None:
        return None  # a token's request has no session (tracker.web.api.auth)
    login_at = session.get("login_at")
    lifetime = current_app.config["SESSION_LIFETIME"].total_seconds()
    if login_at is None or datetime.now(UTC).timestamp() - login_at > lifetime:
        end_session()
        if is_api():
            return unauthenticated("Your session has ended: log in again, then send it again.")
        flash("Your session has ended: please log in again.", "message")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def _actor_for_audit() -> None:
    if current_user.is_authenticated:
        audit.set_actor(db.session, current_user.id)


def _no_store(response):
    """Nothing but the static assets may be kept by a browser or a proxy: pages and
    exports hold stock, money and accounts (a shared computer at an event table, a
    proxy's cache), and the login page holds the session's CSRF token."""
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def record_apart(write: Callable[[Session], None]) -> None:
    """Run ``write`` (audit rows) in a short transaction of its own, which commits.

    For what must stay in the audit trail although the request fails: a failed or
    throttled login answers with an error, and ``tracker.db`` rolls the request's
    transaction back on any 4xx answer, which would take the row with it. The request's
    own transaction is rolled back first: nothing in it is kept anyway, and on SQLite it
    may hold the write lock that this transaction would otherwise wait for in vain.
    Objects loaded by the request are expired by that rollback: ``write`` must not use
    them (it gets ids and text).
    """
    db.rollback()
    session = db.session_factory()
    try:
        write(session)
        session.commit()
    finally:
        session.close()
