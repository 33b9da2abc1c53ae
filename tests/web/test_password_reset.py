"""Forgotten passwords: the same answer for every email, a link that works once and for
an hour, throttled asking, every other session ended, the audit trail."""

from __future__ import annotations

import logging
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, csrf_token, log_in
from tests.mail_server import send_queue
from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.models import AuditEntry, MailMessage, PasswordReset, User
from tracker.services import resets

NEW = "a brand new passphrase"
ANSWER = "a link to choose a new password is on its way there"
THROTTLED = "Too many requests for a link to reset a password"


LINK = re.compile(r"https://tracker\.test/password/reset/([A-Za-z0-9_-]+)")


@pytest.fixture
def outbox(session):
    """``outbox()``: the reset mails queued so far (who to, the link's token, the
    language), read from the mail queue."""

    def queued() -> list[dict]:
        session.expire_all()
        mails = session.scalars(
            select(MailMessage).where(MailMessage.kind == "password_reset").order_by(MailMessage.id)
        )
        return [
            {"to": m.to_address, "token": LINK.search(m.text_body)[1], "language": m.language}
            for m in mails
        ]

    return queued


def _client(app, address: str = "203.0.113.9"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _ask(client, email: str):
    return client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")},
    )


def _reset(client, token: str, new: str = NEW, confirm: str | None = None):
    url = f"/password/reset/{token}"
    return client.post(
        url,
        data={
            "new": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(client, "/password/forgot"),
        },
    )


def _login(client, email: str, password: str) -> int:
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    ).status_code


def _kinds(session, user_id: int) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEntry.kind)
            .where(AuditEntry.object_type == "user", AuditEntry.object_id == str(user_id))
            .order_by(AuditEntry.id)
        )
    )


def test_the_login_page_leads_to_the_form(app):
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in login
    page = client.get("/password/forgot")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="email"' in body and 'name="csrf_token"' in body


@pytest.mark.parametrize("case", ["active", "unknown", "inactive"])
def test_every_email_gets_the_same_answer(app, make_user, session, outbox, case):
    user = make_user(Role.COORDINATOR)
    email = user.email
    if case == "unknown":
        email = "nobody@example.org"
    elif case == "inactive":
        session.get(User, user.id).active = False
        session.commit()
    client = _client(app)
    response = _ask(client, email.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert ANSWER in page and email.upper() in page
    assert "no account" not in page.lower() and "not active" not in page.lower()
    links = session.scalars(select(PasswordReset)).all()
    if case == "active":
        assert [m["to"] for m in outbox()] == [user.email]
        assert len(links) == 1 and links[0].user_id == user.id
        assert links[0].expires_at - links[0].created_at == timedelta(hours=1)
        # Only the token's hash is kept.
        assert links[0].token_hash == resets.token_hash(outbox()[0]["token"])
        assert outbox()[0]["token"] not in links[0].token_hash
        assert _kinds(session, user.id)[-1] == "user.password_reset_requested"
    else:
        assert outbox() == [] and links == []
        assert "user.password_reset_requested" not in _kinds(session, user.id)


def test_a_blank_or_odd_email_is_said_on_the_field(app, outbox):
    client = _client(app)
    response = _ask(client, "")
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    response = _ask(client, "not an address")
    assert response.status_code == 422
    assert "is not an email address" in response.get_data(as_text=True)
    assert outbox() == []


def test_a_post_without_its_csrf_token_is_refused(app, make_user, outbox):
    user = make_user(Role.COORDINATOR)
    client = _client(app)
    assert client.post("/password/forgot", data={"email": user.email}).status_code == 400
    assert outbox() == []


def test_the_mail_arrives_and_its_link_works_once_ending_every_other_session(
    app, make_user, session, mail_server
):
    app.config.update(mail_server.config())
    user = make_user(Role.COORDINATOR)
    bystander = make_user(Role.COORDINATOR)
    session.get(User, user.id).must_change_password = True
    session.commit()
    laptop, phone = _client(app), _client(app)
    log_in(laptop, user.email)
    log_in(phone, user.email)
    assert phone.get("/account/password").status_code == 200
    browser = _client(app, "198.51.100.4")
    _ask(browser, user.email)
    _ask(browser, "nobody@example.org")

    assert send_queue(app).sent == 1
    (received,) = mail_server.wait_for(1)
    assert received["To"] == user.email == received["X-Envelope-To"]
    assert bystander.email not in str(received)
    assert received["Subject"] == "A link to choose a new password"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    (token,) = set(LINK.findall(text))
    assert f'href="https://tracker.test/password/reset/{token}"' in html
    assert "works once, for 60 minutes" in text and user.name in text

    form = browser.get(f"/password/reset/{token}")
    assert form.status_code == 200
    body = form.get_data(as_text=True)
    assert user.email in body and 'name="new"' in body and 'autocomplete="new-password"' in body
    response = _reset(browser, token)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    # This browser is logged in; the account's other sessions have ended.
    landing = browser.get("/dashboard")
    assert landing.status_code == 200
    assert "Your password is changed and you are logged in" in landing.get_data(as_text=True)
    for other in (laptop, phone):
        assert other.get("/").status_code == 302
    # The admin's "change it at your next login" is forgotten.
    session.expire_all()
    assert session.get(User, user.id).must_change_password is False
    assert _login(_client(app), user.email, PASSWORD) == 200
    assert _login(_client(app), user.email, NEW) == 302
    # A second use is refused, with a way to ask again.
    again = _client(app).get(f"/password/reset/{token}")
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "used already" in text and 'href="/password/forgot"' in text
    assert _reset(_client(app), token, "yet another passphrase").status_code == 410
    assert _login(_client(app), user.email, NEW) == 302
    kinds = _kinds(session, user.id)
    assert kinds.count("user.password_reset_requested") == 1
    assert "user.password_reset_by_link" in kinds
    assert kinds[-1] == "user.login"
    done = session.scalar(
        select(AuditEntry).where(AuditEntry.kind == "user.password_reset_by_link")
    )
    assert done.user_id == user.id


def test_a_link_is_refused_after_an_hour(app, make_user, session, outbox, monkeypatch):
    user = make_user(Role.DISTRIBUTOR)
    _ask(_client(app), user.email)
    token = outbox()[-1]["token"]
    later = utcnow() + timedelta(minutes=59)
    monkeypatch.setattr(resets, "utcnow", lambda: later)
    assert _client(app).get(f"/password/reset/{token}").status_code == 200
    later = utcnow() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(resets, "utcnow", lambda: later)
    client = _client(app)
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    assert _reset(client, token).status_code == 410
    assert _login(_client(app), user.email, PASSWORD) == 302


def test_a_new_request_makes_the_older_links_unusable(app, make_user, outbox):
    user = make_user(Role.ADMIN)
    client = _client(app)
    _ask(client, user.email)
    _ask(client, user.email)
    first, second = (m["token"] for m in outbox())
    response = client.get(f"/password/reset/{first}")
    assert response.status_code == 410
    assert "only the latest link works" in response.get_data(as_text=True)
    assert _reset(client, first).status_code == 410
    assert _reset(client, second).status_code == 302


@pytest.mark.parametrize("token", ["nonsense", "x" * 43, "y" * 500, "%E2%80%8B", "a.b-c_d~e"])
def test_an_unknown_link_says_so_and_offers_a_new_one(app, token):
    client = _client(app)
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "This link is not one the tracker knows" in text
    assert 'href="/password/forgot"' in text
    assert _reset(client, token).status_code == 404


def test_a_link_of_an_account_deactivated_since_is_unknown(app, make_user, session, outbox):
    user = make_user(Role.COORDINATOR)
    _ask(_client(app), user.email)
    session.get(User, user.id).active = False
    session.commit()
    token = outbox()[-1]["token"]
    assert _client(app).get(f"/password/reset/{token}").status_code == 404
    assert _reset(_client(app), token).status_code == 404


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("short", "short", "The password must have at least 12 characters (5 given)."),
        ("qwertyuiop123", "qwertyuiop123", "one of the most common ones"),
        ("one good passphrase", "another passphrase", "The two passwords differ."),
        ("", "", "This field is required."),
    ],
)
def test_the_new_password_follows_the_rules_and_a_refusal_keeps_the_link(
    app, make_user, outbox, new, confirm, message
):
    user = make_user(Role.COORDINATOR)
    client = _client(app)
    _ask(client, user.email)
    token = outbox()[-1]["token"]
    response = _reset(client, token, new, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _login(_client(app), user.email, PASSWORD) == 302
    assert _reset(client, token).status_code == 302


def test_asking_is_throttled_per_email_whether_or_not_it_has_an_account(app, make_user, outbox):
    user = make_user(Role.COORDINATOR)
    for email in (user.email, "nobody@example.org"):
        for n in range(5):
            assert _ask(_client(app, f"198.51.100.{n}"), email).status_code == 302
        response = _ask(_client(app, "198.51.100.99"), email)
        assert response.status_code == 429
        assert THROTTLED in response.get_data(as_text=True)
    # Three links an hour for one account: the further requests were answered the same,
    # and sent nothing.
    assert len(outbox()) == 3


def test_asking_is_throttled_per_client_address(app, outbox):
    client = _client(app, "198.51.100.7")
    for n in range(10):
        assert _ask(client, f"someone{n}@example.org").status_code == 302
    assert _ask(client, "someone-else@example.org").status_code == 429
    assert _ask(_client(app, "203.0.113.1"), "someone-else@example.org").status_code == 302


def test_links_per_account_and_hour_answer_the_same_and_are_audited(
    app, make_user, session, outbox
):
    app.config["PASSWORD_RESETS_PER_EMAIL"] = "50 per hour"
    user = make_user(Role.COORDINATOR)
    for n in range(5):
        response = _ask(_client(app, f"198.51.100.{n}"), user.email)
        assert response.status_code == 302
    assert len(outbox()) == 3
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.kind == "user.password_reset_requested")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.after["sent"] for e in entries] == [True, True, True, False, False]
    assert entries[-1].user_id is None and entries[-1].after["address"] == "198.51.100.4"


def test_an_answer_takes_as_long_whether_or_not_the_email_has_an_account(app, make_user, outbox):
    app.config["PASSWORD_RESET_ANSWER_SECONDS"] = 0.3
    user = make_user(Role.COORDINATOR)
    for email in (user.email, "nobody@example.org"):
        client = _client(app)
        token = csrf_token(client, "/password/forgot")
        started = time.monotonic()
        client.post("/password/forgot", data={"email": email, "csrf_token": token})
        assert time.monotonic() - started >= 0.3
    assert len(outbox()) == 1


def test_the_link_is_not_in_the_request_log(app, make_user, outbox, caplog):
    user = make_user(Role.COORDINATOR)
    client = _client(app)
    _ask(client, user.email)
    token = outbox()[-1]["token"]
    caplog.set_level(logging.INFO, logger="tracker.requests")
    client.get(f"/password/reset/{token}").get_data()
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.requests"]
    assert lines and lines[-1].startswith("GET /password/reset/... 200")
    assert all(token not in line for line in lines)


def test_of_two_uses_at_once_one_sets_the_password(app, make_user, session, outbox, monkeypatch):
    user = make_user(Role.COORDINATOR)
    _ask(_client(app), user.email)
    token = outbox()[-1]["token"]
    hasher = app.extensions["tracker.hasher"]
    # The second request read the link as usable before the first one used it.
    seen = resets.usable_link(session, token)
    resets.reset_with_link(session, hasher, token, new=NEW, confirm=NEW)
    monkeypatch.setattr(resets, "usable_link", lambda _session, _token: seen)
    with pytest.raises(resets.LinkRefused, match="used already"):
        resets.reset_with_link(
            session, hasher, token, new="another passphrase", confirm="another passphrase"
        )
    session.commit()
    assert _login(_client(app), user.email, NEW) == 302


@pytest.mark.parametrize(
    ("own", "section", "expected"), [("de", "sv", "de"), (None, "sv", "sv"), (None, None, "en")]
)
def test_the_mail_speaks_the_persons_language(
    app, world, session, make_user, outbox, own, section, expected
):
    if section is None:
        user = make_user(Role.COORDINATOR)
    else:
        user = make_user(Role.TREASURER, "SE")
        session.get(User, user.id).section.language = section
    session.get(User, user.id).language = own
    session.commit()
    _ask(_client(app), user.email)
    assert outbox() == [{"to": user.email, "token": outbox()[0]["token"], "language": expected}]


def test_without_mail_the_page_says_whom_to_ask(app, make_user, outbox):
    app.config["NOTIFICATIONS"] = False
    user = make_user(Role.COORDINATOR)
    client = _client(app)
    page = client.get("/password/forgot").get_data(as_text=True)
    assert "This tracker sends no mail" in page and 'name="email"' not in page
    response = _ask(client, user.email)
    assert response.status_code == 200 and "This tracker sends no mail" in response.get_data(
        as_text=True
    )
    assert outbox() == []
