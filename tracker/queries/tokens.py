"""A person's API tokens, as their account page lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import utcnow
from tracker.domain.tokens import TokenStatus
from tracker.models import ApiToken

# Tokens that no longer work listed at most (every live one is listed: at most
# ``MAX_LIVE``).
SHOWN_GONE = 50


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    status: TokenStatus

    @property
    def live(self) -> bool:
        return self.status == TokenStatus.LIVE


def tokens_of(session: Session, user_id: int, *, now: datetime | None = None) -> list[TokenRow]:
    """The person's tokens, newest first, each with its status (live, expired, revoked):
    every live one, and the newest ``SHOWN_GONE`` of the others."""
    now = now or utcnow()
    newest_first = (ApiToken.created_at.desc(), ApiToken.id.desc())
    live = ApiToken.live_at(now)
    mine = select(ApiToken).where(ApiToken.user_id == user_id)
    tokens = list(session.scalars(mine.where(live).order_by(*newest_first)))
    tokens += session.scalars(mine.where(~live).order_by(*newest_first).limit(SHOWN_GONE))
    tokens.sort(key=lambda t: (t.created_at, t.id), reverse=True)
    return [TokenRow(token, token.status(now)) for token in tokens]
