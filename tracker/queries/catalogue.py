"""What is sold, as pages list it: the editions, in the order people read them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker.models import (
    Edition,
    Title,
)


def list_editions(session: Session) -> list[Edition]:
    return list(
        session.scalars(
            select(Edition)
            .join(Edition.title)
            .options(joinedload(Edition.title))
            .order_by(Title.name, Edition.language, Edition.format)
        )
    )
