"""Forgotten passwords: a link sent by mail, which works once, for an hour.

Whoever asks is told the same thing whether or not the address has an account (and
whether or not that account is active): only the mailbox learns it. For an active
account, a random token is made (``secrets.token_urlsafe``), its SHA-256 kept in
``password_resets`` and the link mailed to the account's email in the same transaction
(the mail queue, ``tracker.services.mail``). The token itself is never stored.

A link works while it is unused, unexpired (``LINK_LIFETIME``) and the newest of its
account: asking again makes the older links unusable, so that at most one works at any
time, the one in the latest mail. An account gets at most ``per_hour`` links an hour;
further requests are answered the same and send nothing (the web adds limits per client
address and per email typed, which answer 429 whoever owns the address).

Using the link sets the new password by the rules of every new password
(``accounts.check_new_password``), marks the link used with one conditional UPDATE (of
two sent at once, one wins), ends every session of the account (its ``alt_id`` changes)
and forgets an admin's "change it at your next login". Both the request and the reset
are in the audit trail.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.db import utcnow
from tracker.domain.errors import DomainError
from tracker.domain.tokens import token_hash
from tracker.domain.words import say
from tracker.models import PasswordReset, User
from tracker.services import accounts, atomic, change_once, mail

LINK_LIFETIME = timedelta(hours=1)
# Longer than any token the tracker makes (43 characters): anything longer is not one.
_MAX_TOKEN = 100


class LinkRefused(DomainError):
    """The link cannot be used: unknown, expired, used, or replaced by a newer one."""

    status_code = 410


class UnknownLink(LinkRefused):
    status_code = 404


def _used() -> LinkRefused:
    return LinkRefused(say("This link has been used already: each link works once."))


def _send_link(session: Session, user: User, reset: PasswordReset, token: str) -> None:
    """Queue the mail with the link, in the caller's transaction, in the person's
    language (their own choice, else their section's)."""
    language = user.language or (user.section.language if user.section else None)
    context: dict[str, Any] = {
        "name": user.name,
        "email": user.email,
        "url": mail.link("auth.reset_password", token=token),
        "minutes": int(LINK_LIFETIME.total_seconds() // 60),
    }
    mail.enqueue(
        session,
        to=user.email,
        kind="password_reset",
        template="password_reset",
        language=language,
        context=context,
        key=f"password_reset:{reset.id}",
    )


def _links_since(session: Session, user_id: int, since: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(PasswordReset)
            .where(PasswordReset.user_id == user_id, PasswordReset.created_at > since)
        )
        or 0
    )


@atomic
def ask_for_link(
    session: Session, email: str | None, *, address: str, per_hour: int
) -> PasswordReset | None:
    """Mail a link to reset the password of the account with this ``email``, if there is
    an active one and it had fewer than ``per_hour`` links in the last hour. Returns the
    link's row, or None when nothing was sent: the caller answers the same either way.

    ``address`` (the client's) goes into the audit trail. An email that is no address
    at all is refused (whatever the accounts: it says nothing about them).
    """
    wanted = accounts.normalize_email(email)
    token = secrets.token_urlsafe(32)
    digest = token_hash(token)
    user = session.scalar(select(User).where(User.email == wanted))
    if user is None or not user.active:
        return None
    now = utcnow()
    recent = _links_since(session, user.id, now - timedelta(hours=1))
    if recent >= per_hour:
        audit.record(
            session,
            kind="user.password_reset_requested",
            object_type="user",
            object_id=user.id,
            summary=(
                f"Password reset link for {user.email} asked from {address}: none sent, "
                f"{recent} already in the last hour"
            ),
            after={"address": address, "sent": False},
            section_ids=[user.section_id],
        )
        return None
    reset = PasswordReset(
        user_id=user.id, token_hash=digest, created_at=now, expires_at=now + LINK_LIFETIME
    )
    session.add(reset)
    session.flush()
    _send_link(session, user, reset, token)
    audit.record(
        session,
        kind="user.password_reset_requested",
        object_type="user",
        object_id=user.id,
        summary=f"Password reset link for {user.email} asked from {address}: sent",
        after={"address": address, "sent": True, "expires_at": reset.expires_at},
        section_ids=[user.section_id],
    )
    return reset


def usable_link(session: Session, token: str) -> PasswordReset:
    """The link ``token`` names, if it can still be used; else ``LinkRefused`` saying
    why (the person holding a link learns nothing they did not know from the mail)."""
    reset = None
    if 0 < len(token) <= _MAX_TOKEN:
        reset = session.scalar(
            select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
        )
    if reset is None or not reset.user.active:
        raise UnknownLink(
            say(
                "This link is not one the tracker knows: it may have been cut short when "
                "it was copied from the mail."
            )
        )
    if reset.used_at is not None:
        raise _used()
    if reset.expires_at <= utcnow():
        raise LinkRefused(say("This link has expired: a link works for an hour."))
    newer = session.scalar(
        select(PasswordReset.id)
        .where(PasswordReset.user_id == reset.user_id, PasswordReset.id > reset.id)
        .limit(1)
    )
    if newer is not None:
        raise LinkRefused(say("A newer link was sent since this one: only the latest link works."))
    return reset


@atomic
def reset_with_link(
    session: Session, hasher: PasswordHasher, token: str, *, new: str, confirm: str
) -> User:
    """Set the password of the link's account to ``new`` and use the link up; every
    session of the account ends. Returns the account, whose owner is now logged in."""
    reset = usable_link(session, token)
    user = reset.user
    now = utcnow()
    used = change_once(
        session,
        reset,
        (PasswordReset.used_at.is_(None)) & (PasswordReset.expires_at > now),
        {"used_at": now},
        "used",
        audited=False,
    )
    if not used:  # another request used it a moment ago
        raise _used()
    audit.set_actor(session, user.id)
    # The password's rules (a refusal rolls the whole savepoint back: the link stays).
    accounts.recover_password(session, hasher, user, new=new, confirm=confirm)
    accounts.logged_in(session, user, " through a password reset link")
    return user
