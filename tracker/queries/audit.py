"""The audit trail, filtered and newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.models import (
    AuditEntry,
    audit_sections,
)


def audit_kinds(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.kind).distinct().order_by(AuditEntry.kind)))


def audit_entries(
    session: Session,
    *,
    user_id: int | None = None,
    section_id: int | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Audit entries, newest first, filtered; ``until`` includes the whole day."""
    query = select(AuditEntry).options(
        joinedload(AuditEntry.user), selectinload(AuditEntry.sections)
    )
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if section_id is not None:
        query = query.where(
            AuditEntry.id.in_(
                select(audit_sections.c.audit_id).where(audit_sections.c.section_id == section_id)
            )
        )
    if kind:
        query = query.where(AuditEntry.kind == kind)
    if since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(since, time.min, UTC))
    if until is not None:
        query = query.where(
            AuditEntry.at < datetime.combine(until + timedelta(days=1), time.min, UTC)
        )
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
