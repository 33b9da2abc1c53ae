"""Staff accounts, as the admin pages and the audit trail's filter list them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import User


def list_users(session: Session) -> list[User]:
    """Active accounts first, by role and email."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.role, User.email)))


def users_by_email(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))
