"""The coordinators' dashboard: every country's copies over a period (received, in
transit, on hand, sold, signed, written off, sell-through, weeks of cover) and what
each section owes, with the totals, as the dashboard page shows them
(``tracker.queries.dashboard``, through the page's own filters)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from flask import Response
from pydantic import Field

from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, about
from tracker.domain.figures import Figures, Row
from tracker.queries.dashboard import Dashboard
from tracker.web.access import allow
from tracker.web.api import bp
from tracker.web.api.schemas import (
    Day,
    EditionRef,
    Model,
    Money,
    SectionRef,
    edition_ref,
    id_filter,
    money,
    section_ref,
)
from tracker.web.api.spec import answer, document, sent_query
from tracker.web.dashboard.filters import asked
from tracker.web.problems import api

# The dashboard page's names for the filters, and the API's where they differ.
_PAGE_NAMES = {"since": "start", "until": "end"}
_API_NAMES = {"start": "from", "end": "to"}


class DashboardQuery(Model):
    since: Day | None = Field(
        None,
        alias="from",
        description="The period's first day: it begins on the Monday of its week. None: "
        "52 weeks before `to`.",
    )
    until: Day | None = Field(
        None,
        alias="to",
        description="The period's last day: it ends on the Sunday of its week. None: this "
        "week (or the latest week anything moved, for a campaign in the past).",
    )
    edition: int | None = id_filter("One edition's copies; none: every edition's.")
    country: str | None = Field(
        None, pattern=r"^[A-Z]{2}$", description="One country's sections, as rows."
    )
    section: int | None = id_filter("One section.")


class CountryOut(Model):
    code: str = Field(examples=["GB"])
    name: str


class FiguresOut(Model):
    received: int = Field(description="Copies that arrived at the section's places.")
    in_transit: int = Field(description="On their way at the period's end, both ways.")
    on_hand_unsigned: int
    on_hand_signed: int
    on_hand: int
    sold_unsigned: int
    sold_signed: int
    sold: int = Field(description="Sales less voids and readers' returns.")
    signed: int
    written_off: int
    lost_in_transit: int = Field(description="Damaged or missing on receipt.")
    on_hand_at_start: int
    sent_back: int = Field(description="Returned to the publisher.")
    transferred: int = Field(description="From other sections (+) or to them (-), net.")
    counted: int = Field(description="Found (+) or short (-) at stocktakes, net.")
    recent_sold: int = Field(description="Sold in the period's last four weeks.")
    sell_through: str | None = Field(
        description="Sold / received, a decimal fraction (4 places); null: none received."
    )
    weeks_of_cover: str | None = Field(
        description="On hand / weekly sales of the last four weeks; null: no recent sales."
    )
    outstanding: Money | None = Field(
        description="Owed to the publisher now, in the publisher's currency; null: no rate "
        "to convert it."
    )
    unconverted: list[str] = Field(
        description="Sections whose balance has no exchange rate (left out of `outstanding`)."
    )


class SectionRow(FiguresOut):
    key: str
    name: str
    country: CountryOut
    section: SectionRef | None = Field(description="Null on a country's row.")
    weekly_sold: list[int] = Field(description="Copies sold each week of `weeks`.")


class CountryRow(SectionRow):
    sections: list[SectionRow] = Field(description="A country's sections; a section's row: [].")


class WorldOut(Model):
    printed: int
    in_warehouse: int
    in_transit: int
    with_sections: int
    sold: int
    signed: int


class AlertOut(Model):
    kind: str = Field(examples=["low_cover", "low_stock", "overdue_shipment"])
    message: str
    section: SectionRef | None


class DashboardOut(Model):
    since: date = Field(alias="from", description="The period's first day (a Monday).")
    until: date = Field(alias="to", description="The period's last day (a Sunday).")
    weeks: list[date] = Field(description="The Monday of each of its weeks.")
    edition: EditionRef | None
    country: CountryOut | None
    section: SectionRef | None
    rows_are: Literal["countries", "sections"] = Field(
        description="`countries` (with their sections) for the whole world; `sections` "
        "when one country or section is chosen, and for a treasurer."
    )
    currency: str = Field(description="The publisher's: `outstanding` is in it.")
    rows: list[CountryRow]
    total: FiguresOut = Field(description="The rows added up.")
    weekly_sold: list[int] = Field(description="All rows' copies sold, week by week.")
    world: WorldOut | None = Field(description="The publisher's view; only for the whole world.")
    alerts: list[AlertOut]


def _ratio(value: Decimal | None, places: str) -> str | None:
    return None if value is None else str(value.quantize(Decimal(places)))


def _figures(figures: Figures, currency: str) -> dict:
    return {
        "received": figures.received,
        "in_transit": figures.in_transit,
        "on_hand_unsigned": figures.on_hand_unsigned,
        "on_hand_signed": figures.on_hand_signed,
        "on_hand": figures.on_hand,
        "sold_unsigned": figures.sold_unsigned,
        "sold_signed": figures.sold_signed,
        "sold": figures.sold,
        "signed": figures.signed,
        "written_off": figures.written_off,
        "lost_in_transit": figures.lost_in_transit,
        "on_hand_at_start": figures.on_hand_at_start,
        "sent_back": figures.sent_back,
        "transferred": figures.transferred,
        "counted": figures.counted,
        "recent_sold": figures.recent_sold,
        "sell_through": _ratio(figures.sell_through, "0.0001"),
        "weeks_of_cover": _ratio(figures.weeks_of_cover, "0.1"),
        "outstanding": money(figures.outstanding_minor, currency),
        "unconverted": list(figures.unconverted),
    }


def _row(row: Row, currency: str) -> dict:
    return {
        **_figures(row.figures, currency),
        "key": row.key,
        "name": row.name,
        "country": CountryOut(code=row.country.code, name=row.country.name),
        "section": None if row.section is None else section_ref(row.section),
        "weekly_sold": list(row.weekly),
    }


def _body(data: Dashboard) -> DashboardOut:
    cur = data.currency
    world = data.world
    return DashboardOut.model_validate(
        {
            "from": data.period.first,
            "to": data.period.last,
            "weeks": data.weeks,
            "edition": None if data.edition is None else edition_ref(data.edition),
            "country": None
            if data.country is None
            else CountryOut(code=data.country.code, name=data.country.name),
            "section": None if data.section is None else section_ref(data.section),
            "rows_are": "sections" if data.by_section else "countries",
            "currency": cur,
            "rows": [
                {**_row(row, cur), "sections": [_row(s, cur) for s in row.sections]}
                for row in data.rows
            ],
            "total": _figures(data.total, cur),
            "weekly_sold": data.weekly_total,
            "world": None
            if world is None
            else WorldOut(
                printed=world.printed,
                in_warehouse=world.in_warehouse,
                in_transit=world.in_transit,
                with_sections=world.with_sections,
                sold=world.sold,
                signed=world.signed,
            ),
            "alerts": [
                AlertOut(
                    kind=alert.kind,
                    message=str(alert.message),
                    section=None if alert.section is None else section_ref(alert.section),
                )
                for alert in data.alerts
            ],
        }
    )


@bp.get("/dashboard")
@allow(*Role)
@api
@document(tag="dashboard", query=DashboardQuery, answers={200: DashboardOut})
def dashboard() -> Response:
    """The dashboard's rows for a period, with their total.

    One row per country, each with its sections, for the whole world; one row per
    section when a country or a section is chosen, and for a treasurer (their own
    section only, as their dashboard page). Not paged: a row per country is a short
    list. The period is made of whole weeks, Monday to Sunday (UTC), at most 261 of
    them; flows (received, sold...) are over the period, positions (on hand, in
    transit) at its end.
    """
    query: DashboardQuery = sent_query()
    sent = query.model_dump(exclude_none=True)
    page = asked(filters={_PAGE_NAMES.get(k, k): str(v) for k, v in sent.items()})
    for name, errors in page.errors.items():
        if errors:
            with about(_API_NAMES.get(name, name)):
                raise DomainError(errors[0])
    return answer(_body(page.data))
