"""Personal access tokens, as rules: what a token looks like, what is kept of it, how
long it may live, how many a person may hold, and whether one still works.

A token is ``trk_`` and 43 random characters (``secrets.token_urlsafe(32)``). Only its
SHA-256 is kept (``token_hash``, shared with the links that reset a password), and its
first characters (``shown``), enough for its owner to recognise it in a list, never
enough to use it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from tracker.domain.text import Words
from tracker.domain.words import say_mark

PREFIX = "trk_"
# Characters of a token shown in lists: the prefix and four random ones ("trk_3f9a").
SHOWN = len(PREFIX) + 4
# Longer than any token the tracker makes (47 characters): anything longer is not one.
MAX_LENGTH = 100
# The lifetimes one may choose, in days, and the form's first choice.
LIFETIMES = (7, 30, 90, 365)
DEFAULT_DAYS = 90
# Tokens a person may hold at once (neither revoked nor expired).
MAX_LIVE = 20
NAME_LIMIT = 80
# Where a token was used from: an IPv6 address written out in full, at most.
ADDRESS_LIMIT = 45
# A token's last use is written at most this often (a busy client does not write on
# every request).
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """What is kept of a secret sent to someone (a token, a link's): its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def shown(token: str) -> str:
    """The part of a token a list shows."""
    return token[:SHOWN]


def looks_like_token(raw: str | None) -> bool:
    """Whether ``raw`` could be a token at all (before anything is looked up)."""
    return raw is not None and raw.startswith(PREFIX) and len(raw) <= MAX_LENGTH


class TokenStatus(Words):
    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"


_LABELS = (say_mark("live"), say_mark("expired"), say_mark("revoked"))


def status_of(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> TokenStatus:
    """Whether a token works at ``now``: revoked, expired, or live."""
    if revoked_at is not None:
        return TokenStatus.REVOKED
    if expires_at <= now:
        return TokenStatus.EXPIRED
    return TokenStatus.LIVE
