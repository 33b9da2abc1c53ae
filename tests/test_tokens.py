"""Personal access tokens, through the service: made and shown once (only the hash is
kept), found again by the raw string while they work, revoked by their owner or an
admin, their last use noted at most once a minute."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.tokens import MAX_LIVE, TokenStatus
from tracker.models import ApiToken, AuditEntry
from tracker.queries.tokens import tokens_of
from tracker.services import accounts, tokens


@pytest.fixture
def owner(world, make_user):
    return make_user(Role.TREASURER, "GB")


def test_a_token_is_returned_once_and_only_its_hash_is_kept(session, owner):
    token, raw = tokens.create(session, owner, name="  Sales sheet ", days=30, read_only=True)
    session.commit()
    assert raw.startswith("trk_") and len(raw) == 47
    row = session.get(ApiToken, token.id)
    assert row.name == "Sales sheet" and row.read_only is True and row.user_id == owner.id
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:8] and raw not in row.prefix + row.token_hash + row.name
    assert timedelta(days=30) - (row.expires_at - row.created_at) < timedelta(seconds=1)
    assert row.revoked_at is None and row.last_used_at is None and row.last_used_from is None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "apitoken.created"))
    assert entry.object_id == str(token.id) and "Sales sheet" in entry.summary
    assert entry.after["read_only"] is True and entry.after["prefix"] == raw[:8]
    # Neither the token nor its hash is in the audit trail.
    text = str(entry.after) + entry.summary
    assert raw not in text and row.token_hash not in text


def test_authenticate_finds_a_working_token_only(session, owner, make_user):
    token, raw = tokens.create(session, owner, name="Phone", days=7, read_only=False)
    session.commit()
    found = tokens.authenticate(session, raw)
    assert found is not None and found.id == token.id and found.user.id == owner.id
    assert found.read_only is False
    # Expired: at the moment it expires, and after.
    assert tokens.authenticate(session, raw, now=token.expires_at) is None
    assert tokens.authenticate(session, raw, now=token.expires_at - timedelta(seconds=1))
    # Garbage, empty, None, nearly it, far too long, a NUL.
    for bad in ("", None, "garbage", raw[:-1], raw + "x", "trk_" + "a" * 5000, raw + "\x00"):
        assert tokens.authenticate(session, bad) is None, bad
    # Its owner deactivated: it stops working; back again, it works.
    admin = make_user(Role.ADMIN)
    accounts.set_active(session, admin, owner.id, False)
    session.commit()
    assert tokens.authenticate(session, raw) is None
    accounts.set_active(session, admin, owner.id, True)
    assert tokens.authenticate(session, raw) is not None
    # Revoked.
    tokens.revoke(session, owner, token.id)
    assert tokens.authenticate(session, raw) is None


def test_the_owner_revokes_and_again_changes_nothing(session, owner):
    token, _raw = tokens.create(session, owner, name="Laptop", days=90, read_only=False)
    revoked = tokens.revoke(session, owner, token.id)
    when = revoked.revoked_at
    assert when is not None and revoked.status() == TokenStatus.REVOKED
    again = tokens.revoke(session, owner, token.id)
    assert again.revoked_at == when
    entries = session.scalars(select(AuditEntry).where(AuditEntry.kind == "apitoken.revoked")).all()
    assert len(entries) == 1 and entries[0].object_id == str(token.id)
    assert tokens.live_tokens(session, owner.id) == []


def test_an_admin_revokes_anyones_and_others_find_none(session, owner, make_user):
    token, _raw = tokens.create(session, owner, name="Laptop", days=90, read_only=False)
    for other in (
        make_user(Role.TREASURER, "GB"),
        make_user(Role.TREASURER, "SE"),
        make_user(Role.COORDINATOR),
        make_user(Role.DISTRIBUTOR),
    ):
        with pytest.raises(NotFound):
            tokens.revoke(session, other, token.id)
    assert session.get(ApiToken, token.id).revoked_at is None
    with pytest.raises(NotFound):
        tokens.revoke(session, owner, token.id + 1000)
    admin = make_user(Role.ADMIN)
    assert tokens.revoke(session, admin, token.id).revoked_at is not None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "apitoken.revoked"))
    assert "by an admin" in entry.summary


def test_touch_writes_at_most_once_a_minute(session, owner):
    token, _raw = tokens.create(session, owner, name="Sync", days=7, read_only=True)
    session.commit()
    start = utcnow()
    assert tokens.touch(session, token, "203.0.113.9", now=start) is True
    session.commit()
    assert tokens.touch(session, token, "203.0.113.10", now=start + timedelta(seconds=59)) is False
    # A request that read the row before that touch: refused by the database too.
    session.expire_all()
    stale = session.get(ApiToken, token.id)
    assert stale.last_used_at == start and stale.last_used_from == "203.0.113.9"
    set_committed_value(stale, "last_used_at", None)
    assert tokens.touch(session, stale, "198.51.100.1", now=start + timedelta(seconds=30)) is False
    later = start + timedelta(seconds=61)
    assert tokens.touch(session, token, "2001:db8::1", now=later) is True
    session.commit()
    session.expire_all()
    row = session.get(ApiToken, token.id)
    assert row.last_used_at == later and row.last_used_from == "2001:db8::1"
    # Not audited: a use is no change anyone made.
    assert not session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "apitoken", AuditEntry.kind != "apitoken.created"
        )
    ).all()
    # An odd address is not kept as it came.
    assert tokens.touch(session, row, "a\x00b", now=later + timedelta(minutes=2)) is True
    assert row.last_used_from is None
    assert tokens.touch(session, row, "x" * 100, now=later + timedelta(minutes=4)) is True
    assert row.last_used_from == "x" * 45


def test_at_most_twenty_live_tokens(session, owner):
    for n in range(MAX_LIVE):
        tokens.create(session, owner, name=f"t{n}", days=7, read_only=False)
    with pytest.raises(DomainError, match="20 live tokens"):
        tokens.create(session, owner, name="one more", days=7, read_only=False)
    assert len(tokens.live_tokens(session, owner.id)) == MAX_LIVE
    # Revoking one makes room; an expired one does not count either.
    first = tokens.live_tokens(session, owner.id)[-1]
    tokens.revoke(session, owner, first.id)
    token, _raw = tokens.create(session, owner, name="one more", days=7, read_only=False)
    later = token.expires_at + timedelta(seconds=1)
    assert tokens.live_tokens(session, owner.id, now=later) == []


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [
        ("", 30, "name"),
        ("   ", 30, "name"),
        (None, 30, "name"),
        ("x" * 81, 30, "name"),
        ("a\x00b", 30, "name"),
        ("fine", 0, "days"),
        ("fine", 31, "days"),
        ("fine", -7, "days"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(session, owner, name, days, field):
    with pytest.raises(DomainError) as refused:
        tokens.create(session, owner, name=name, days=days, read_only=False)
    assert refused.value.field == field
    assert session.scalars(select(ApiToken)).all() == []
    assert (
        session.scalars(select(AuditEntry).where(AuditEntry.object_type == "apitoken")).all() == []
    )


def test_a_live_name_is_not_given_twice(session, owner):
    token, _raw = tokens.create(session, owner, name="Laptop", days=7, read_only=False)
    with pytest.raises(DomainError, match="already have a live token named Laptop") as refused:
        tokens.create(session, owner, name="Laptop", days=7, read_only=False)
    assert refused.value.field == "name"
    tokens.revoke(session, owner, token.id)
    tokens.create(session, owner, name="Laptop", days=7, read_only=False)


def test_the_list_is_newest_first_with_each_status(session, owner, make_user):
    tokens.create(session, owner, name="old", days=7, read_only=False)
    gone, _ = tokens.create(session, owner, name="gone", days=30, read_only=True)
    tokens.create(session, owner, name="new", days=90, read_only=False)
    tokens.create(
        session, make_user(Role.COORDINATOR), name="someone else's", days=7, read_only=False
    )
    tokens.revoke(session, owner, gone.id)
    rows = tokens_of(session, owner.id, now=utcnow() + timedelta(days=8))
    assert [(r.token.name, r.status) for r in rows] == [
        ("new", TokenStatus.LIVE),
        ("gone", TokenStatus.REVOKED),
        ("old", TokenStatus.EXPIRED),
    ]
    assert [r.live for r in rows] == [True, False, False]
