"""Throttling of password guesses that never locks an account's owner out.

Failed logins are counted by Flask-Limiter (``deduct_when``: only attempts that fail
count) under four keys, each with its own limit (see ``config.Config``):

* the account and the address together (5 per 15 minutes): a guesser's address is
  stopped for that account, and the owner, from any other address, is not;
* the address (20 per 15 minutes, whatever the accounts tried): one address cannot try
  many accounts;
* the account, whatever the address (a higher ceiling, 50 per hour): guesses spread over
  many addresses still add up;
* the account and a known browser (5 per 15 minutes).

A *known browser* is one that has logged in to that account before: at each login the
tracker gives it a signed cookie (``DEVICE_COOKIE``, only sent to ``/login``) naming
the accounts it logged in to, without their emails (a digest) and with a random id of
the browser. A known browser trying one of its accounts is counted on its own (the
last key), and not under the first three: whoever else fails from its address or
against its account, its owner still gets in. An attacker cannot make such a cookie
(it is signed with ``SECRET_KEY``), and a copied one gives no more than its own five
guesses per 15 minutes. A browser that never logged in to the account is the one that
can be kept out for a while by a guesser that uses many addresses: the cost of the
ceiling, which is what stops guessing spread over a botnet.

The address is ``request.remote_addr``: the client's own address when
``TRUSTED_PROXIES`` says how many proxies set ``X-Forwarded-For`` (Werkzeug's
ProxyFix, in ``tracker.web.security``), else the peer's.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta
from typing import Any

from flask import after_this_request, current_app, g, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

DEVICE_COOKIE = "tracker_device"
DEVICE_LIFETIME = timedelta(days=365)
# A browser shared at an event table may log in to a few accounts; the latest are kept.
DEVICE_ACCOUNTS = 10


def email_tried() -> str:
    return (request.form.get("email") or "").strip().lower()


def address() -> str:
    return request.remote_addr or "unknown"


def _digest(text: str) -> str:
    # Keys and the cookie hold a digest: a long email never makes a long key.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    key = current_app.secret_key
    if key is None:  # create_app always sets one
        raise RuntimeError("the app has no SECRET_KEY to sign the device cookie with")
    return URLSafeTimedSerializer(key, salt="tracker.login-device")


def _device() -> dict[str, Any] | None:
    """The browser's signed cookie: ``{"id": ..., "accounts": [digest, ...]}``, or None."""
    if "login_device" not in g:
        found = None
        raw = request.cookies.get(DEVICE_COOKIE)
        if raw:
            try:
                data = _serializer().loads(raw, max_age=int(DEVICE_LIFETIME.total_seconds()))
            except BadData:
                data = None
            if (
                isinstance(data, dict)
                and isinstance(data.get("id"), str)
                and isinstance(data.get("accounts"), list)
            ):
                found = data
        g.login_device = found
    return g.login_device


def known_browser() -> bool:
    """Whether this browser has logged in to the account it is trying now."""
    device = _device()
    return device is not None and _digest(email_tried()) in device["accounts"]


def unknown_browser() -> bool:
    return not known_browser()


def account_and_address_key() -> str:
    return f"{_digest(email_tried())}@{address()}"


def address_key() -> str:
    return address()


def account_key() -> str:
    return _digest(email_tried())


def account_and_browser_key() -> str:
    device = _device()
    return f"{_digest(email_tried())}@browser:{device['id'] if device else ''}"


def remember_browser(response: Any, email: str) -> Any:
    """Give the browser (or renew) its cookie, with this account as its latest."""
    device = _device() or {"id": secrets.token_urlsafe(16), "accounts": []}
    mine = _digest(email.strip().lower())
    accounts = [a for a in device["accounts"] if a != mine and isinstance(a, str)]
    accounts = [*accounts, mine][-DEVICE_ACCOUNTS:]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps({"id": device["id"], "accounts": accounts}),
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path=url_for("auth.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def answer_no_sooner_than(started: float, seconds: float) -> None:
    """Hold this request's answer until ``seconds`` after ``started`` (``time.monotonic``)
    have passed, its commit included, so that how long it took says nothing of what was
    done (an email with an account: rows and a mail written; without: nothing).

    Call it once the request's database session is in use: its commit is an
    ``after_this_request`` function too, and those run in the order they were added.
    """
    if seconds <= 0:
        return

    @after_this_request
    def wait(response: Any) -> Any:
        left = started + seconds - time.monotonic()
        if left > 0:
            time.sleep(left)
        return response
