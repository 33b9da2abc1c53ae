"""Events: the list, with filters, and one event with its table (the place copies are
brought to and sold from), what is on it now, and its figures: copies brought,
returned, sold and signed, sales and takings (``tracker.queries.events``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from flask import Response
from pydantic import Field

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.events import EventKind, EventStatus
from tracker.queries import events as event_queries
from tracker.queries.stock import priced_stock
from tracker.services import events as service
from tracker.web.access import allow, section_scope
from tracker.web.api import bp
from tracker.web.api.paging import link_header, page, read_cursor
from tracker.web.api.schemas import (
    Day,
    EditionRef,
    Model,
    Money,
    Paging,
    PlaceRef,
    SectionRef,
    edition_ref,
    id_filter,
    moment,
    money,
    place_ref,
    section_ref,
)
from tracker.web.api.spec import answer, document, sent_query
from tracker.web.helpers import actor
from tracker.web.problems import api


class EventsQuery(Paging):
    section: int | None = id_filter()
    since: Day | None = Field(
        None, alias="from", description="Events not over before this day (ISO 8601)."
    )
    until: Day | None = Field(
        None, alias="to", description="Events begun on or before this day (ISO 8601)."
    )
    kind: EventKind | None = None
    status: EventStatus | None = Field(None, description="`open` or `closed`.")


class EventItem(Model):
    id: int
    name: str
    kind: str = Field(examples=["launch", "school", "bookstall"])
    status: Literal["open", "closed"]
    section: SectionRef
    place: PlaceRef = Field(description="The event's table: where its copies are.")
    starts_on: date
    ends_on: date
    city: str | None
    venue: str | None
    expected_attendance: int | None
    actual_attendance: int | None
    closed_at: datetime | None


class EventsPage(Model):
    items: list[EventItem]
    next: str | None = Field(description="The cursor of the next page; null: no more.")


def _item(event) -> EventItem:
    return EventItem(
        id=event.id,
        name=event.name,
        kind=event.kind,
        status=event.status,
        section=section_ref(event.section),
        place=place_ref(event.location),
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        city=event.city,
        venue=event.venue,
        expected_attendance=event.expected_attendance,
        actual_attendance=event.actual_attendance,
        closed_at=moment(event.closed_at),
    )


@bp.get("/events")
@allow(*Role)
@api
@document(tag="events", query=EventsQuery, answers={200: EventsPage}, problems=[400])
def events() -> Response:
    """Events, the latest begun first.

    Every event the caller may see (a treasurer: their own section's), filtered by
    section, kind, status and days: `from` keeps the events not over before that day,
    `to` those begun by then, so both together give the events of a period.
    """
    query: EventsQuery = sent_query()
    rows = event_queries.events_page(
        db.session,
        section_scope=section_scope(),
        section_id=query.section,
        since=query.since,
        until=query.until,
        kind=query.kind,
        status=query.status,
        after=read_cursor(query.cursor, (date, int)),
        limit=query.limit + 1,
    )
    items, following = page(rows, query.limit, lambda event: (event.starts_on, event.id))
    body = EventsPage(items=[_item(e) for e in items], next=following)
    return answer(body, headers=link_header(following))


class OnTable(Model):
    edition: EditionRef
    condition: Literal["unsigned", "signed"]
    copies: int
    price: Money | None = Field(description="The section's usual price per copy; none set: null.")


class EventFigures(Model):
    brought: int = Field(description="Copies brought to the table.")
    returned: int = Field(description="Copies taken back from the table.")
    sold_unsigned: int
    sold_signed: int
    sold: int
    signed: int = Field(description="Copies the authors signed at the event.")
    sales: int = Field(description="Sales not voided.")
    voided: int = Field(description="Sales voided.")
    on_table_unsigned: int
    on_table_signed: int
    attendance: int | None = Field(description="Actual, else expected; none: not known.")
    sold_per_attendee: str | None = Field(description="A decimal; none without attendance.")
    takings: dict[str, Money] = Field(
        description="By payment method (cash, card, bank_transfer, other); voids left out."
    )
    takings_total: Money
    counted_cash: Money | None = Field(description="Cash counted at the close; none: not counted.")
    cash_difference: Money | None = Field(
        description="Counted cash less cash takings: over (positive) or short (negative)."
    )


class EventDetail(EventItem):
    notes: str | None
    currency: str = Field(description="The section's currency: the takings'.")
    on_table: list[OnTable] = Field(description="What is on the table now.")
    figures: EventFigures


@bp.get("/events/<int:event>")
@allow(*Role)
@api
@document(tag="events", answers={200: EventDetail}, problems=[404])
def event(event: int) -> Response:
    """An event, what is on its table now and its figures.

    The figures are the event page's: copies brought and taken back, sold (unsigned and
    signed) and signed, sales and voids, takings by payment method in the section's
    currency, and the cash counted at the close. Another section's event is 404 to a
    treasurer.
    """
    found = service.get_event(db.session, actor(), event)
    report = event_queries.event_report(db.session, found)
    currency = found.section.currency

    def cash(minor: int | None) -> Money | None:
        return money(minor, currency)

    takings = {method: money(amount, currency) for method, amount in report.takings.items()}
    body = EventDetail(
        **_item(found).model_dump(),
        notes=found.notes,
        currency=currency,
        on_table=[
            OnTable(
                edition=edition_ref(row.edition),
                condition=row.condition,  # type: ignore[arg-type]
                copies=row.qty,
                price=cash(row.price_minor),
            )
            for row in priced_stock(db.session, found.location, found.section)
        ],
        figures=EventFigures(
            brought=report.brought,
            returned=report.returned,
            sold_unsigned=report.sold_unsigned,
            sold_signed=report.sold_signed,
            sold=report.sold,
            signed=report.signed,
            sales=report.sales,
            voided=report.voided,
            on_table_unsigned=report.on_table_unsigned,
            on_table_signed=report.on_table_signed,
            attendance=report.attendance,
            sold_per_attendee=None if report.per_attendee is None else str(report.per_attendee),
            takings=takings,
            takings_total=money(report.takings_total, currency),
            counted_cash=cash(report.counted_cash),
            cash_difference=cash(report.cash_difference),
        ),
    )
    return answer(body)
