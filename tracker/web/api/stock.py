"""Stock: copies at each physical place (the warehouse, sections' stores, event
tables), by edition and condition, with filters by country, section, place and
edition."""

from __future__ import annotations

from typing import Literal

from flask import Response
from pydantic import Field

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.queries.stock import stock_rows
from tracker.web.access import allow, section_scope
from tracker.web.api import bp
from tracker.web.api.paging import link_header, page, read_cursor
from tracker.web.api.schemas import (
    EditionRef,
    Model,
    Paging,
    PlaceRef,
    edition_ref,
    place_ref,
)
from tracker.web.api.spec import answer, document, sent_query
from tracker.web.problems import api


class StockQuery(Paging):
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    section: int | None = Field(None, ge=1, le=2**31 - 1)
    place: int | None = Field(None, ge=1, le=2**31 - 1)
    edition: int | None = Field(None, ge=1, le=2**31 - 1)
    condition: Literal["unsigned", "signed"] | None = None


class StockItem(Model):
    place: PlaceRef
    edition: EditionRef
    condition: Literal["unsigned", "signed"]
    copies: int


class StockPage(Model):
    items: list[StockItem]
    next: str | None = Field(description="The cursor of the next page; null: no more.")


@bp.get("/stock")
@allow(*Role)
@api
@document(tag="stock", query=StockQuery, answers={200: StockPage}, problems=[400])
def stock() -> Response:
    """Copies by place, edition and condition.

    Every physical place the caller may see (a treasurer: their own section's), in the
    order of place, edition and condition; places holding no copies are left out.
    """
    query: StockQuery = sent_query()
    rows = stock_rows(
        db.session,
        section_scope=section_scope(),
        country=query.country,
        section_id=query.section,
        location_id=query.place,
        edition_id=query.edition,
        condition=query.condition,
        after=read_cursor(query.cursor, (int, int, str)),
        limit=query.limit + 1,
    )
    items, following = page(rows, query.limit, lambda row: row.key)
    body = StockPage(
        items=[
            StockItem(
                place=place_ref(row.location),
                edition=edition_ref(row.edition),
                condition=row.condition,  # type: ignore[arg-type]
                copies=row.qty,
            )
            for row in items
        ],
        next=following,
    )
    return answer(body, headers=link_header(following))
