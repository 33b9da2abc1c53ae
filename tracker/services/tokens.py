"""Personal access tokens: a person makes them in their account page, and their
programs use them on the JSON API (``Authorization: Bearer trk_...``).

* ``create`` makes a named token that lives 7, 30, 90 or 365 days, read-only or not, and
  returns it once: only its SHA-256 and its first characters are kept. A person holds
  at most ``MAX_LIVE`` live tokens, and no two live ones of the same name.
* ``revoke``: its owner revokes it, or an admin; to anyone else it does not exist.
  Revoking a revoked token changes nothing.
* ``authenticate`` finds the token a raw string names (by its hash, which is unique)
  when it is live and its owner's account is active; the token acts as its owner, with
  their role and section fence (and only reads, when ``read_only``).
* ``touch`` notes the token's last use, at most once a minute.

Making and revoking are in the audit trail (never the hash); uses are not.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from tracker import audit
from tracker.db import rowcount, table_of, utcnow
from tracker.domain.accounts import Actor, Role
from tracker.domain.errors import DomainError, NotFound, about
from tracker.domain.text import clean, control_character
from tracker.domain.tokens import (
    ADDRESS_LIMIT,
    LIFETIMES,
    MAX_LIVE,
    NAME_LIMIT,
    PREFIX,
    TOUCH_EVERY,
    TokenStatus,
    looks_like_token,
    shown,
    token_hash,
)
from tracker.domain.words import either, number, say
from tracker.models import ApiToken, User
from tracker.services import atomic

_TABLE = table_of(ApiToken)


def live_tokens(session: Session, user_id: int, *, now: datetime | None = None) -> list[ApiToken]:
    """The person's tokens that work now, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.live_at(now or utcnow()))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def _summary(token: ApiToken, owner: User, what: str) -> str:
    return f"API token {token.name} ({token.prefix}…) of {owner.email} {what}"


def _after(token: ApiToken) -> dict[str, object]:
    return {
        "user_id": token.user_id,
        "name": token.name,
        "prefix": token.prefix,
        "read_only": token.read_only,
        "expires_at": token.expires_at,
    }


@atomic
def create(
    session: Session, actor: Actor, *, name: str | None, days: int, read_only: bool
) -> tuple[ApiToken, str]:
    """A new token of ``actor``'s, named ``name``, that lives ``days`` days (one of
    ``LIFETIMES``). Returns the token's row and the token itself, which is never kept:
    shown once, then gone."""
    with about("name"):
        cleaned = clean(name, say("the name"), NAME_LIMIT, required=True)
    if days not in LIFETIMES:
        error = DomainError(
            say(
                "A token lives %(choices)s days, not %(days)s.",
                choices=either([str(d) for d in LIFETIMES]),
                days=repr(days),
            )
        )
        error.field = "days"
        raise error
    # The owner's row, locked (PostgreSQL; SQLite's writers take turns): two tokens made
    # at once cannot pass the limit together.
    owner = session.scalar(select(User).where(User.id == actor.id).with_for_update())
    if owner is None:
        raise NotFound(say("There is no account %(id)s.", id=actor.id))
    now = utcnow()
    live = session.scalars(
        select(ApiToken.name).where(ApiToken.user_id == owner.id, ApiToken.live_at(now))
    ).all()
    if len(live) >= MAX_LIVE:
        raise DomainError(
            say(
                "You have %(n)s live tokens, the most one may hold: revoke one you no longer "
                "use first.",
                n=number(MAX_LIVE),
            )
        )
    if cleaned in live:
        error = DomainError(
            say("You already have a live token named %(name)s: choose another name.", name=cleaned)
        )
        error.field = "name"
        raise error
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=cleaned,
        token_hash=token_hash(raw),
        prefix=shown(raw),
        read_only=bool(read_only),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        kind="apitoken.created",
        object_type="apitoken",
        object_id=token.id,
        summary=_summary(token, owner, "made"),
        after=_after(token),
        section_ids=[owner.section_id],
    )
    return token, raw


def _token_for(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """The token ``token_id`` if ``actor`` may revoke it (theirs, or anyone's for an
    admin); to anyone else it does not exist."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound(say("There is no token %(id)s.", id=token_id))
    return token


@atomic
def revoke(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token: it stops working now. Its owner may, or an admin; a token
    revoked already stays as it was."""
    token = _token_for(session, actor, token_id)
    now = utcnow()
    # One conditional UPDATE: of two revocations at once, one is recorded.
    result = session.execute(
        update(_TABLE)
        .where(_TABLE.c.id == token.id, _TABLE.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.refresh(token)
    if rowcount(result) == 1:
        owner = token.user
        by = "" if actor.id == owner.id else " by an admin"
        audit.record(
            session,
            kind="apitoken.revoked",
            object_type="apitoken",
            object_id=token.id,
            summary=_summary(token, owner, "revoked") + by,
            before={"revoked_at": None},
            after={"revoked_at": now},
            section_ids=[owner.section_id],
        )
    return token


def authenticate(
    session: Session, raw: str | None, *, now: datetime | None = None
) -> ApiToken | None:
    """The token ``raw`` is (its owner loaded) if it works at ``now``: known, neither
    revoked nor expired, and its owner's account active. Else None, whatever the
    reason (the caller answers 401 alike)."""
    if not isinstance(raw, str) or not looks_like_token(raw):
        return None
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == token_hash(raw))
        .options(joinedload(ApiToken.user))
        # What the database holds now, whatever this session read before.
        .execution_options(populate_existing=True)
    )
    if token is None or token.status(now) != TokenStatus.LIVE or not token.user.active:
        return None
    return token


def touch(
    session: Session, token: ApiToken, address: str | None, *, now: datetime | None = None
) -> bool:
    """Note that ``token`` was used now from ``address`` (the client's), unless that was
    noted less than ``TOUCH_EVERY`` ago: True when it was written. One conditional
    UPDATE, so of many requests at once one writes. Not audited; the caller commits
    (with the request's work, or on its own for a request that only reads)."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return False
    origin = address[:ADDRESS_LIMIT] if address and not control_character(address) else None
    result = session.execute(
        update(_TABLE)
        .where(
            _TABLE.c.id == token.id,
            _TABLE.c.last_used_at.is_(None) | (_TABLE.c.last_used_at <= now - TOUCH_EVERY),
        )
        .values(last_used_at=now, last_used_from=origin)
    )
    if rowcount(result) != 1:
        return False
    set_committed_value(token, "last_used_at", now)
    set_committed_value(token, "last_used_from", origin)
    return True
