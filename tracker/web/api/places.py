"""Sections and places: the ids other operations filter by (``section``, ``place``)."""

from __future__ import annotations

from flask import Response
from pydantic import Field

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.places import LocationKind
from tracker.queries.places import list_sections, places_page
from tracker.web.access import allow, section_scope
from tracker.web.api import bp
from tracker.web.api.paging import link_header, page, read_cursor
from tracker.web.api.schemas import (
    Model,
    Paging,
    PlaceRef,
    SectionRef,
    id_filter,
    place_ref,
    section_ref,
)
from tracker.web.api.spec import answer, document, sent_query
from tracker.web.problems import api


class SectionItem(SectionRef):
    language: str = Field(description="The language its people read, as a code.")
    time_zone: str = Field(examples=["Europe/London"])
    archived: bool


class Sections(Model):
    items: list[SectionItem]


@bp.get("/sections")
@allow(*Role)
@api
@document(tag="places", answers={200: Sections})
def sections() -> Response:
    """Every section, by name.

    A short list, not paged: a treasurer's own section, everyone else's every section
    (archived ones too: their records stay). Each with its country and currency.
    """
    return answer(
        Sections(
            items=[
                SectionItem(
                    **section_ref(s).model_dump(),
                    language=s.language,
                    time_zone=s.time_zone,
                    archived=s.archived,
                )
                for s in list_sections(db.session, section_scope())
            ]
        )
    )


class PlacesQuery(Paging):
    section: int | None = id_filter()
    kind: LocationKind | None = None


class PlaceItem(PlaceRef):
    code: str = Field(examples=["GB-STORE"])
    active: bool


class PlacesPage(Model):
    items: list[PlaceItem]
    next: str | None = Field(description="The cursor of the next page; null: no more.")


@bp.get("/places")
@allow(*Role)
@api
@document(tag="places", query=PlacesQuery, answers={200: PlacesPage}, problems=[400])
def places() -> Response:
    """Places: the warehouse, stores, event tables and the ledger's virtual places.

    By number. A treasurer sees their own section's places only; the publisher's (the
    warehouse, the printer) have no section.
    """
    query: PlacesQuery = sent_query()
    after = read_cursor(query.cursor, (int,))
    rows = places_page(
        db.session,
        section_scope=section_scope(),
        section_id=query.section,
        kind=query.kind,
        after=None if after is None else after[0],
        limit=query.limit + 1,
    )
    items, following = page(rows, query.limit, lambda place: (place.id,))
    body = PlacesPage(
        items=[PlaceItem(**place_ref(p).model_dump(), code=p.code, active=p.active) for p in items],
        next=following,
    )
    return answer(body, headers=link_header(following))
