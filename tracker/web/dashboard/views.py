"""The coordinators' dashboard, its drill-down to a section, and its exports."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cachetools import LRUCache
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.errors import BadRequest, NotFound
from tracker.domain.money import from_minor
from tracker.models import AuditLink, Event, Section
from tracker.queries import dashboard
from tracker.queries.catalogue import list_editions
from tracker.queries.dashboard import Dashboard, Period
from tracker.queries.stock import section_documents, stock_overview
from tracker.services import alerts
from tracker.web.access import allow, require_section, section_scope, signed_in
from tracker.web.dashboard.forms import DashboardFilterForm, ThresholdsForm
from tracker.web.exports import export, requested_format
from tracker.web.helpers import form_status, submit

bp = Blueprint("dashboard", __name__)

# What the exports of the dashboard hold, by ``?table=``.
TABLES = ("rows", "weekly", "alerts", "world")


def _filters(section: Section | None = None):
    """The filter form, read from the address, and the dashboard it asks for."""
    scope = section_scope()
    editions = list_editions(db.session)
    sections = list(
        db.session.scalars(
            select(Section).options(joinedload(Section.country)).order_by(Section.name)
        )
    )
    if scope is not None:
        sections = [s for s in sections if s.id == scope]
    countries = sorted({s.country_code: s.country for s in sections}.values(), key=lambda c: c.name)
    form = DashboardFilterForm(request.args)
    form.set_choices(editions, countries, sections)
    valid = form.validate()
    for entry in form:
        entry.errors = [
            f"There is no such {entry.label.text.lower()}: choose one from the list."
            if error == "Not a valid choice."
            else error
            for error in entry.errors
        ]
    errors = {name: list(errs) for name, errs in form.errors.items()}

    def ok(name: str):
        return None if name in errors else getattr(form, name).data

    today = date.today()
    activity = dashboard.activity_weeks(db.session)
    default = dashboard.default_period(activity[1], today)
    start, end = ok("start"), ok("end")
    if start and end and "end" not in errors:
        period = Period.covering(start, end)
    elif start:
        period = Period.covering(start, max(start, default.last))
    elif end:
        period = Period.weeks_to(end)
    else:
        period = default
    if len(period.weeks) > dashboard.MAX_WEEKS:
        errors.setdefault("start", []).append(
            f"Choose a period of at most {dashboard.MAX_WEEKS} weeks (about five years); "
            f"this one has {len(period.weeks)}."
        )
        period = dashboard.Period.weeks_to(period.last, dashboard.MAX_WEEKS)
        valid = False

    edition_id = ok("edition")
    edition = next((e for e in editions if e.id == edition_id), None)
    chosen_section = section
    if chosen_section is None and ok("section") is not None:
        chosen_section = next((s for s in sections if s.id == ok("section")), None)
    if scope is not None:
        chosen_section = next(s for s in sections if s.id == scope)
    country = None
    if chosen_section is None and ok("country"):
        country = next((c for c in countries if c.code == ok("country")), None)
    data = dashboard.build(
        db.session,
        period=period,
        today=today,
        publisher_currency=current_app.config["PUBLISHER_CURRENCY"],
        edition=edition,
        country=country,
        section=chosen_section,
        scoped=scope is not None,
        activity=activity,
        sections=sections,
    )
    return form, data, errors, valid


def _args(data: Dashboard, **changes: object) -> dict:
    """The address arguments that show ``data`` again, with ``changes``."""
    args: dict[str, object] = {
        "start": data.period.first.isoformat(),
        "end": data.period.last.isoformat(),
    }
    if data.edition:
        args["edition"] = data.edition.id
    if data.country:
        args["country"] = data.country.code
    if data.section and not data.scoped:
        args["section"] = data.section.id
    args.update(changes)
    return {k: v for k, v in args.items() if v is not None}


def _period_args(data: Dashboard, period: Period | None) -> dict | None:
    if period is None:
        return None
    return _args(data, start=period.first.isoformat(), end=period.last.isoformat())


@bp.get("/dashboard")
@signed_in
def index():
    if requested_format():
        _form, data, _errors, _valid = _filters()
        return _export(data)
    # The page's body, once per state of the data: the same address, the same role and
    # section, the same day and nothing written since, give the same page.
    key = (
        _data_version(),
        date.today(),
        current_user.role,
        section_scope(),
        tuple(sorted(request.args.items(multi=True))),
    )
    pages = _page_cache()
    with pages.lock:
        content = pages.cache.get(key)
    status = 200
    if content is None:
        form, data, errors, valid = _filters()
        # A template's own output, escaped as it was rendered: safe to put in the page.
        content = Markup(  # noqa: S704
            render_template(
                "dashboard/_content.html",
                form=form,
                data=data,
                errors=errors,
                args=_args(data),
                row_link=_row_link,
                latest_args=_period_args(data, data.latest_period),
                all_time_args=_period_args(data, data.all_time),
                percent=_percent,
                weekly_rows=_weekly_rows,
            )
        )
        status = 200 if valid else 400
        if valid:
            with pages.lock:
                pages.cache[key] = content
    return render_template("dashboard/index.html", content=content), status


@dataclass
class _Pages:
    cache: LRUCache
    lock: threading.Lock = field(default_factory=threading.Lock)


def _page_cache() -> _Pages:
    """The app's cache of rendered dashboards (a few dozen: each is some 50 KB)."""
    return current_app.extensions.setdefault("tracker.dashboard_pages", _Pages(LRUCache(64)))


def _data_version() -> str:
    """What changes whenever anything the dashboard shows changes.

    Every change is written with an audit row in its transaction, and every audit row
    gets a link of the hash chain when its transaction commits, numbered without gaps
    in the order of the commits (under a lock: see ``tracker.audit``). So the newest
    link's number changes with every commit that wrote, on both engines, and with
    nothing else (not with other databases' work on a shared PostgreSQL server).
    """
    return str(db.session.scalar(select(func.max(AuditLink.seq))))


def _row_link(data: Dashboard, row) -> str:
    """Down one level: a country to its sections, a section to its page."""
    if row.section is not None:
        return url_for("dashboard.section", section_id=row.section.id, **_args(data, country=None))
    return url_for("dashboard.index", **_args(data, country=row.country.code))


@bp.get("/dashboard/sections/<int:section_id>")
@signed_in
def section(section_id: int):
    require_section(section_id)
    chosen = db.session.get(Section, section_id)
    if chosen is None:
        raise NotFound(f"There is no section {section_id}.")
    form, data, errors, valid = _filters(section=chosen)
    if requested_format():
        return _export(data)
    overview = stock_overview(
        db.session, data.edition.id if data.edition else None, section_id=chosen.id
    )
    events = list(
        db.session.scalars(
            select(Event).where(Event.section_id == chosen.id).order_by(Event.starts_on.desc())
        )
    )
    documents = section_documents(
        db.session, chosen.id, data.period.first, data.period.last, limit=50
    )
    return (
        render_template(
            "dashboard/section.html",
            form=form,
            data=data,
            errors=errors,
            args=_args(data),
            section=chosen,
            row=data.rows[0] if data.rows else None,
            locations=overview.sections[0].locations if overview.sections else [],
            events=events,
            documents=documents,
            today=date.today(),
            percent=_percent,
        ),
        200 if valid else 400,
    )


def _weekly_rows(data: Dashboard) -> Markup:
    """The rows of the weekly-sales table: a week, then each row's copies, then the
    total (built here rather than cell by cell in the template: it is the page's biggest
    table, 52 weeks by 15 countries)."""
    totals = data.weekly_total
    lines = []
    for i, week in enumerate(data.weeks):
        cells = "".join(
            f'<td class="num" data-value="{row.weekly[i]}">{row.weekly[i]:,}</td>'
            for row in data.rows
        )
        lines.append(
            f'<tr><th scope="row" data-label="{week.isoformat()}">{week:%d %b %Y}</th>'
            f'{cells}<td class="num">{totals[i]:,}</td></tr>'
        )
    # Numbers and dates only: nothing in it needs escaping.
    return Markup("".join(lines))  # noqa: S704


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


# -- exports -----------------------------------------------------------------------------------

ROW_HEADER = [
    "country",
    "section",
    "received",
    "in transit",
    "on hand, unsigned",
    "on hand, signed",
    "on hand",
    "sold, unsigned",
    "sold, signed",
    "sold",
    "signed",
    "written off",
    "sell-through %",
    "sold in the last 4 weeks",
    "weeks of cover",
    "outstanding",
    "currency",
    "lost in transit",
    "on hand at the start",
    "sent back",
    "from other sections, net",
    "stocktake differences, net",
]


def _figures_cells(f, currency: str) -> list:
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


def _export(data: Dashboard):
    table = request.args.get("table", "rows")
    if table not in TABLES:
        raise BadRequest(
            f"There is no table {table!r} to export: ask for table="
            + ", ".join(TABLES[:-1])
            + f" or {TABLES[-1]}."
        )
    stem = f"dashboard-{table}-{data.period.first}-{data.period.last}"
    if data.edition:
        stem += f"-{data.edition.isbn}"
    if data.section:
        stem += f"-section-{data.section.id}"
    elif data.country:
        stem += f"-{data.country.code}"
    if table == "rows":
        rows = []
        for row in data.rows:
            country = row.country.name
            rows.append(
                [
                    country,
                    row.name if row.section else "all sections",
                    *_figures_cells(row.figures, data.currency),
                ]
            )
        rows.append(["total", "", *_figures_cells(data.total, data.currency)])
        return export(stem, ROW_HEADER, rows, title="Dashboard")
    if table == "weekly":
        header = ["week starting"] + [r.name for r in data.rows] + ["total"]
        weekly_total = data.weekly_total
        rows = [
            [week] + [r.weekly[i] for r in data.rows] + [weekly_total[i]]
            for i, week in enumerate(data.weeks)
        ]
        return export(stem, header, rows, title="Weekly sales")
    if table == "alerts":
        return export(
            stem,
            ["alert", "section", "message"],
            [[a.kind.replace("_", " "), a.section.name, a.message] for a in data.alerts],
            title="Alerts",
        )
    if data.world is None:
        raise BadRequest("World totals are shown only for every country at once.")
    w = data.world
    return export(
        stem,
        ["printed", "in the warehouse", "in transit", "with sections", "sold", "signed"],
        [[w.printed, w.in_warehouse, w.in_transit, w.with_sections, w.sold, w.signed]],
        title="World totals",
    )


# -- alert thresholds --------------------------------------------------------------------------


@bp.route("/dashboard/thresholds", methods=["GET", "POST"])
@allow(Role.ADMIN)
def thresholds():
    sections = list(
        db.session.scalars(
            select(Section).options(joinedload(Section.country)).order_by(Section.name)
        )
    )
    form = ThresholdsForm()
    if not form.is_submitted():
        default = alerts.defaults(db.session)
        form.weeks_of_cover.data = default.weeks_of_cover
        form.copies.data = default.copies
        for s in sections:
            form.sections.append_entry(
                {
                    "section_id": str(s.id),
                    "weeks_of_cover": s.alert_weeks_of_cover,
                    "copies": s.alert_copies,
                }
            )

    def save() -> None:
        by_section = {}
        for entry in form.sections:
            by_section[entry.section_id.data] = alerts.Thresholds(
                entry.weeks_of_cover.data, entry.copies.data
            )
        alerts.set_thresholds(
            db.session,
            current_user._get_current_object(),
            alerts.Thresholds(form.weeks_of_cover.data, form.copies.data),
            by_section,
        )

    def saved(_result: None):
        flash("Alert thresholds saved.", "success")
        return redirect(url_for("dashboard.thresholds"))

    response = submit(form, save, saved)
    return response or (
        render_template(
            "dashboard/thresholds.html",
            form=form,
            sections={str(s.id): s for s in sections},
        ),
        form_status(form),
    )
