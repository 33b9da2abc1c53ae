"""The audit trail: every change, who made it, when it happened and when it was
recorded, with what it was before and after (``tracker.queries.audit``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response
from pydantic import Field

from tracker.db import db
from tracker.queries.audit import audit_entries
from tracker.web.access import READERS, allow
from tracker.web.api import bp
from tracker.web.api.paging import link_header, page, read_cursor
from tracker.web.api.schemas import Day, Model, Paging, id_filter, moment
from tracker.web.api.spec import answer, document, sent_query
from tracker.web.problems import api


class AuditQuery(Paging):
    user: int | None = id_filter("Changes made by this account.")
    section: int | None = id_filter("Changes that concern this section.")
    action: str | None = Field(
        None, max_length=64, examples=["stock.posted"], description="One kind of change."
    )
    since: Day | None = Field(None, alias="from", description="Recorded on or after this day.")
    until: Day | None = Field(None, alias="to", description="Recorded on or before this day.")


class Who(Model):
    id: int
    email: str
    name: str


class What(Model):
    type: str = Field(examples=["document", "location", "user"])
    id: str | None


class AuditItem(Model):
    id: int
    occurred_at: datetime = Field(
        description="When what it records happened (a posting dated in the past says so); "
        "otherwise when it was recorded."
    )
    recorded_at: datetime
    who: Who | None = Field(description="Null: the tracker itself (a command, the demo).")
    action: str = Field(examples=["stock.posted", "user.created", "location.updated"])
    what: What
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    sections: list[int] = Field(description="The sections it concerns.")


class AuditPage(Model):
    items: list[AuditItem]
    next: str | None = Field(description="The cursor of the next page; null: no more.")


@bp.get("/audit")
@allow(*READERS)
@api
@document(tag="audit", query=AuditQuery, answers={200: AuditPage}, problems=[400])
def audit() -> Response:
    """The audit trail, the latest recorded first.

    For admins and coordinators, as the audit page. Filters: who, which section it
    concerns, what kind of change (`action`), and the days it was recorded on.
    """
    query: AuditQuery = sent_query()
    before = read_cursor(query.cursor, (int,))
    rows = audit_entries(
        db.session,
        user_id=query.user,
        section_id=query.section,
        kind=query.action,
        since=query.since,
        until=query.until,
        before_id=None if before is None else before[0],
        limit=query.limit + 1,
    )
    items, following = page(rows, query.limit, lambda entry: (entry.id,))
    body = AuditPage(
        items=[
            AuditItem(
                id=entry.id,
                occurred_at=moment(entry.happened_at or entry.at),
                recorded_at=moment(entry.at),
                who=None
                if entry.user is None
                else Who(id=entry.user.id, email=entry.user.email, name=entry.user.name),
                action=entry.kind,
                what=What(type=entry.object_type, id=entry.object_id),
                summary=entry.summary,
                before=entry.before,
                after=entry.after,
                sections=sorted(section.id for section in entry.sections),
            )
            for entry in items
        ],
        next=following,
    )
    return answer(body, headers=link_header(following))
