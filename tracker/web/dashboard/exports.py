"""The dashboard's tables as downloads (CSV and XLSX), by ``?table=``: its rows, the
weekly sales, the alerts, the world's figures. Columns keep their places: new ones are
added at the end."""

from __future__ import annotations

from decimal import Decimal

from flask import request
from flask_babel import gettext as _

from tracker.domain.errors import BadRequest
from tracker.domain.money import from_minor
from tracker.queries.dashboard import Dashboard, Figures
from tracker.web.exports import column, export

TABLES = ("rows", "weekly", "alerts", "world")


ROW_HEADER = [
    column("country"),
    column("section"),
    column("received"),
    column("in transit"),
    column("on hand, unsigned"),
    column("on hand, signed"),
    column("on hand"),
    column("sold, unsigned"),
    column("sold, signed"),
    column("sold"),
    column("signed"),
    column("written off"),
    column("sell-through %"),
    column("sold in the last 4 weeks"),
    column("weeks of cover"),
    column("outstanding"),
    column("currency"),
    column("lost in transit"),
    column("on hand at the start"),
    column("sent back"),
    column("from other sections, net"),
    column("stocktake differences, net"),
]


def _figures_cells(f: Figures, currency: str) -> list:
    cover = f.weeks_of_cover
    through = f.sell_through
    return [
        f.received,
        f.in_transit,
        f.on_hand_unsigned,
        f.on_hand_signed,
        f.on_hand,
        f.sold_unsigned,
        f.sold_signed,
        f.sold,
        f.signed,
        f.written_off,
        (through * 100).quantize(Decimal("0.1")) if through is not None else "",
        f.recent_sold,
        cover if cover is not None else "no recent sales",
        from_minor(f.outstanding_minor or 0, currency)
        if f.outstanding_minor is not None or not f.unconverted
        else "no rate",
        currency,
        f.lost_in_transit,
        f.on_hand_at_start,
        f.sent_back,
        f.transferred,
        f.counted,
    ]


def dashboard_export(data: Dashboard):
    """The table ``?table=`` asks for, in the format ``?format=`` asks for."""
    table = request.args.get("table", "rows")
    if table not in TABLES:
        raise BadRequest(
            _(
                "There is no table %(table)s to export: ask for table=%(tables)s or %(last)s.",
                table=repr(table),
                tables=", ".join(TABLES[:-1]),
                last=TABLES[-1],
            )
        )
    return _EXPORTS[table](data, _stem(data, table))


def _stem(data: Dashboard, table: str) -> str:
    stem = f"dashboard-{table}-{data.period.first}-{data.period.last}"
    if data.edition:
        stem += f"-{data.edition.isbn}"
    if data.section:
        stem += f"-section-{data.section.id}"
    elif data.country:
        stem += f"-{data.country.code}"
    return stem


def _rows(data: Dashboard, stem: str):
    rows = [
        [
            row.country.name,
            row.name if row.section else "all sections",
            *_figures_cells(row.figures, data.currency),
        ]
        for row in data.rows
    ]
    rows.append(["total", "", *_figures_cells(data.total, data.currency)])
    return export(stem, ROW_HEADER, rows, title="Dashboard")


def _weekly(data: Dashboard, stem: str):
    header = [column("week starting")] + [r.name for r in data.rows] + [column("total")]
    weekly_total = data.weekly_total
    rows = [
        [week] + [r.weekly[i] for r in data.rows] + [weekly_total[i]]
        for i, week in enumerate(data.weeks)
    ]
    return export(stem, header, rows, title="Weekly sales")


def _alerts(data: Dashboard, stem: str):
    return export(
        stem,
        ["alert", "section", "message"],
        [[a.kind.replace("_", " "), a.section.name, a.message] for a in data.alerts],
        title="Alerts",
    )


def _world(data: Dashboard, stem: str):
    if data.world is None:
        raise BadRequest(_("World totals are shown only for every country at once."))
    w = data.world
    return export(
        stem,
        ["printed", "in the warehouse", "in transit", "with sections", "sold", "signed"],
        [[w.printed, w.in_warehouse, w.in_transit, w.with_sections, w.sold, w.signed]],
        title="World totals",
    )


_EXPORTS = {"rows": _rows, "weekly": _weekly, "alerts": _alerts, "world": _world}
