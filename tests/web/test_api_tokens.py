"""The API with personal access tokens, as a program uses it: no cookie and no CSRF
token, the owner's role and section fence, read-only tokens, expired and revoked ones,
and the throttle per token."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from tests.factories import csrf_token
from tracker.db import utcnow
from tracker.models import ApiToken, Sale

NEW_TOKEN = re.compile(r'id="new-token">(trk_[A-Za-z0-9_-]{43})<')


def _token(client, **fields) -> str:
    """A token made on the account page, as its owner would make it."""
    data = {"name": f"script {uuid.uuid4().hex[:6]}", "days": "30", **fields}
    page = client.post(
        "/account/tokens", data={"csrf_token": csrf_token(client, "/account"), **data}
    ).get_data(as_text=True)
    return NEW_TOKEN.search(page).group(1)


def _as(app, token: str):
    """A program: no cookies, the token in every request."""
    program = app.test_client(use_cookies=False)
    program.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return program


def _gb_store_and_edition(program) -> tuple[int, int]:
    items = program.get("/api/v1/stock?limit=200&country=GB").get_json()["items"]
    item = next(
        i
        for i in items
        if i["place"]["kind"] == "section_store"
        and i["condition"] == "unsigned"
        and i["copies"] > 2
    )
    return item["place"]["id"], item["edition"]["id"]


def _sale_body(edition: int) -> dict:
    return {
        "sales": [{"key": str(uuid.uuid4()), "payment": "cash", "lines": [{"edition": edition}]}]
    }


def _sales(app) -> int:
    session = app.extensions["tracker.db"].session_factory()
    try:
        return session.scalar(select(func.count()).select_from(Sale))
    finally:
        session.close()


def test_a_token_acts_as_its_owner_without_cookie_or_csrf(demo_app, demo_login):
    token = _token(demo_login("treasurer.gb@example.org"))
    program = _as(demo_app, token)
    me = program.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["email"] == "treasurer.gb@example.org"
    assert me.get_json()["role"] == "treasurer" and me.get_json()["read_only"] is False
    assert "Set-Cookie" not in me.headers
    # The fence: only Britain's places.
    countries = {
        i["place"]["section"]["country"]
        for i in program.get("/api/v1/stock?limit=200").get_json()["items"]
    }
    assert countries == {"GB"}
    place, edition = _gb_store_and_edition(program)
    before = _sales(demo_app)
    sold = program.post(
        f"/api/v1/places/{place}/sales",
        json=_sale_body(edition),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert sold.status_code == 200, sold.data
    assert sold.get_json()["results"][0]["status"] == "recorded"
    assert _sales(demo_app) == before + 1


def test_another_sections_place_is_404_to_a_treasurers_token(demo_app, demo_login):
    coordinator = _as(demo_app, _token(demo_login("coordinator@example.org")))
    items = coordinator.get("/api/v1/stock?limit=200&country=SE").get_json()["items"]
    swedish = next(i for i in items if i["place"]["kind"] == "section_store")
    program = _as(demo_app, _token(demo_login("treasurer.gb@example.org")))
    before = _sales(demo_app)
    answer = program.post(
        f"/api/v1/places/{swedish['place']['id']}/sales",
        json=_sale_body(swedish["edition"]["id"]),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert _sales(demo_app) == before
    assert program.get(f"/api/v1/stock?place={swedish['place']['id']}").get_json()["items"] == []


def test_a_read_only_token_reads_and_may_not_write(demo_app, demo_login):
    program = _as(demo_app, _token(demo_login("treasurer.gb@example.org"), read_only="y"))
    assert program.get("/api/v1/me").get_json()["read_only"] is True
    place, edition = _gb_store_and_edition(program)
    before = _sales(demo_app)
    answer = program.post(
        f"/api/v1/places/{place}/sales",
        json=_sale_body(edition),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 403
    assert answer.get_json()["type"] == "read-only-token"
    assert _sales(demo_app) == before


def test_expired_revoked_and_made_up_tokens_are_401(demo_app, demo_login):
    owner = demo_login("treasurer.gb@example.org")
    expired, revoked = _token(owner), _token(owner)
    session = demo_app.extensions["tracker.db"].session_factory()
    try:
        session.execute(
            update(ApiToken)
            .where(ApiToken.prefix == expired[:8])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    finally:
        session.close()
    assert _as(demo_app, revoked).get("/api/v1/me").status_code == 200  # until revoked
    page = owner.get("/account").get_data(as_text=True)
    revoke = re.findall(r'action="(/account/tokens/\d+/revoke)"', page)
    for action in revoke:
        owner.post(action, data={"csrf_token": csrf_token(owner, "/account")})
    for token in (expired, revoked, "trk_" + "x" * 43, "nonsense", ""):
        answer = _as(demo_app, token).get("/api/v1/me")
        assert answer.status_code == 401, token
        assert answer.mimetype == "application/problem+json"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    basic = demo_app.test_client(use_cookies=False).get(
        "/api/v1/me", headers={"Authorization": "Basic dXNlcjpwdw=="}
    )
    assert basic.status_code == 401
    # A bad token is refused even with a good session's cookie beside it.
    assert owner.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_each_token_is_throttled_on_its_own(demo_app, demo_login):
    demo_app.config["API_RATE_LIMIT"] = "3 per minute"
    first = _as(demo_app, _token(demo_login("treasurer.gb@example.org")))
    second = _as(demo_app, _token(demo_login("coordinator@example.org")))
    assert [first.get("/api/v1/me").status_code for _ in range(3)] == [200] * 3
    throttled = first.get("/api/v1/me")
    assert throttled.status_code == 429
    assert throttled.mimetype == "application/problem+json"
    assert int(throttled.headers["Retry-After"]) >= 1
    assert second.get("/api/v1/me").status_code == 200


def test_the_last_use_is_listed(demo_app, demo_login):
    owner = demo_login("coordinator@example.org")
    token = _token(owner)
    assert "Never used" in owner.get("/account").get_data(as_text=True)
    _as(demo_app, token).get("/api/v1/me")
    assert "Never used" not in owner.get("/account").get_data(as_text=True)
