"""API tokens in the account page: made with a form and shown in that answer only,
listed with their status and last use, revoked with a button; bad values are refused
on their field, with nothing written."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import csrf_token
from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.domain.tokens import MAX_LIVE, token_hash
from tracker.models import ApiToken, AuditEntry
from tracker.services import tokens

NEW_TOKEN = re.compile(r'<p class="secret" id="new-token">(trk_[A-Za-z0-9_-]{43})</p>')


def _make(client, **fields):
    data = {"name": "Sales sheet", "days": "30", **fields}
    return client.post(
        "/account/tokens", data={"csrf_token": csrf_token(client, "/account"), **data}
    )


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_token_is_shown_once_and_only_its_hash_is_kept(app, world, session, login):
    client = login(Role.TREASURER, "GB")
    assert "You have no API tokens." in client.get("/account").get_data(as_text=True)
    response = _make(client, read_only="y")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    raw = NEW_TOKEN.search(page).group(1)
    assert f"Authorization: Bearer {raw}" in page
    assert "it will not be shown again" in page
    # Kept: its hash and its first characters, never the token.
    row = session.scalar(select(ApiToken))
    assert row.user_id == client.user.id and row.name == "Sales sheet" and row.read_only
    assert row.token_hash == token_hash(raw) and row.prefix == raw[:8]
    assert tokens.authenticate(session, raw).id == row.id
    # Not in the session's cookie, nor the address: the page again does not show it.
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None and raw not in cookie.value
    again = client.get("/account").get_data(as_text=True)
    assert raw not in again and 'id="new-token"' not in again
    assert "Sales sheet" in again and f"{raw[:8]}…" in again
    assert "read only" in again and "live" in again and "Never used" in again
    assert f'action="/account/tokens/{row.id}/revoke"' in again
    # The form's address asked by GET (the language switch comes back to it): the page.
    assert client.get("/account/tokens").headers["Location"] == "/account"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "apitoken.created"))
    assert entry.user_id == client.user.id and entry.object_id == str(row.id)


def test_read_and_write_unless_read_only_is_ticked(world, session, login):
    client = login(Role.COORDINATOR)
    assert _make(client, name="Dashboard", days="7").status_code == 200
    row = session.scalar(select(ApiToken))
    assert row.read_only is False
    assert timedelta(days=7) - (row.expires_at - row.created_at) < timedelta(seconds=1)
    assert "read and write" in client.get("/account").get_data(as_text=True)


def test_the_list_shows_the_last_use_and_each_status(world, session, login):
    client = login(Role.DISTRIBUTOR)
    used, _raw = tokens.create(session, client.user, name="Used", days=90, read_only=False)
    gone, _raw = tokens.create(session, client.user, name="Gone", days=30, read_only=False)
    tokens.revoke(session, client.user, gone.id)
    tokens.touch(session, used, "203.0.113.7")
    session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert "Last used" in page and "from 203.0.113.7" in page
    assert "revoked" in page and "Revoked " in page
    # A revoked token has no Revoke button.
    assert f"/account/tokens/{gone.id}/revoke" not in page
    assert f"/account/tokens/{used.id}/revoke" in page
    assert page.index("Gone") < page.index("Used")  # newest first


def test_the_owner_revokes_their_token(world, session, login):
    client = login(Role.TREASURER, "GB")
    token, raw = tokens.create(session, client.user, name="Laptop", days=90, read_only=False)
    session.commit()
    url = f"/account/tokens/{token.id}/revoke"
    token_value = csrf_token(client, "/account")
    response = client.post(url, data={"csrf_token": token_value})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "The token “Laptop” is revoked" in page
    assert tokens.authenticate(session, raw) is None
    # Again: harmless.
    assert client.post(url, data={"csrf_token": token_value}).status_code == 302
    revoked = session.scalars(select(AuditEntry).where(AuditEntry.kind == "apitoken.revoked"))
    assert [e.user_id for e in revoked] == [client.user.id]


def test_only_the_owner_or_an_admin_revokes(world, session, login, make_user):
    owner = make_user(Role.TREASURER, "GB")
    token, raw = tokens.create(session, owner, name="Laptop", days=90, read_only=False)
    session.commit()
    url = f"/account/tokens/{token.id}/revoke"
    for other in (
        login(Role.TREASURER, "GB"),
        login(Role.TREASURER, "SE"),
        login(Role.DISTRIBUTOR),
        login(Role.COORDINATOR),
    ):
        response = other.post(url, data={"csrf_token": csrf_token(other, "/account")})
        assert response.status_code == 404
        assert "Laptop" not in response.get_data(as_text=True)
    assert tokens.authenticate(session, raw) is not None
    admin = login(Role.ADMIN)
    assert admin.post(url, data={"csrf_token": csrf_token(admin, "/account")}).status_code == 302
    assert tokens.authenticate(session, raw) is None
    # Without the form's token: refused before anything.
    fresh, raw = tokens.create(session, owner, name="Phone", days=7, read_only=False)
    session.commit()
    assert admin.post(f"/account/tokens/{fresh.id}/revoke", data={}).status_code == 400
    assert tokens.authenticate(session, raw) is not None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Give the token a name."),
        ({"name": "   "}, "name", "Give the token a name."),
        ({"name": "x" * 81}, "name", "80"),
        ({"name": "x" * 5000}, "name", "80"),
        ({"name": "a\x00b"}, "name", "control character"),
        ({"name": "a\x0bb"}, "name", "control character"),
        ({"days": "31"}, "days", "Not a valid choice"),
        ({"days": "abc"}, "days", ""),
        ({"days": ""}, "days", ""),
        ({"days": "9" * 30}, "days", ""),
    ],
)
def test_spoiled_fields_are_refused_on_the_field(world, session, login, fields, field, message):
    client = login(Role.TREASURER, "GB")
    response = _make(client, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(rf'<small id="{field}-help" class="field-error">([^<]*)</small>', page)
    assert error and message in error.group(1), page[page.index('id="tokens"') :][:3000]
    assert _count(session, ApiToken) == 0
    assert not session.scalars(select(AuditEntry).where(AuditEntry.object_type == "apitoken")).all()
    assert 'id="new-token"' not in page


def test_a_live_name_twice_is_refused_on_the_name(world, session, login):
    client = login(Role.TREASURER, "GB")
    assert _make(client, name="Sheet").status_code == 200
    response = _make(client, name="Sheet")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<small id="name-help" class="field-error">[^<]*live token named Sheet', page)
    assert _count(session, ApiToken) == 1


def test_at_most_twenty_live_tokens(world, session, login):
    client = login(Role.COORDINATOR)
    for n in range(MAX_LIVE):
        tokens.create(session, client.user, name=f"t{n}", days=7, read_only=True)
    session.commit()
    response = _make(client, name="one more")
    assert response.status_code == 422
    assert "You have 20 live tokens" in response.get_data(as_text=True)
    assert _count(session, ApiToken) == MAX_LIVE


def test_an_expired_token_is_listed_as_expired(world, session, login):
    client = login(Role.COORDINATOR)
    token, raw = tokens.create(session, client.user, name="Old", days=7, read_only=True)
    token.expires_at = utcnow() - timedelta(days=1)
    session.commit()
    page = client.get("/account").get_data(as_text=True)
    assert "expired" in page and "Expired " in page
    assert f"/account/tokens/{token.id}/revoke" not in page
    assert tokens.authenticate(session, raw) is None
