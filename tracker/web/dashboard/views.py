"""The coordinators' dashboard, its drill-down to a section, and the alert thresholds.

The page's body is kept per state of the data (``queries.dashboard.data_version``): the
same address, the same role and section, the same day and nothing written since, give
the same page without computing it again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

from cachetools import LRUCache
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.errors import NotFound
from tracker.queries.dashboard import data_version, default_thresholds
from tracker.queries.events import events_now, list_events
from tracker.queries.places import get_section, list_sections
from tracker.queries.stock import section_documents, stock_overview
from tracker.services import alerts
from tracker.web.access import allow, require_section, section_scope, signed_in
from tracker.web.dashboard.exports import dashboard_export
from tracker.web.dashboard.filters import Asked, asked, period_args, row_links
from tracker.web.dashboard.forms import ThresholdsForm
from tracker.web.exports import requested_format
from tracker.web.helpers import actor, form_status, submit
from tracker.web.i18n import current_language

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@signed_in
def index():
    if requested_format():
        return dashboard_export(asked().data)
    key = (
        data_version(db.session),
        date.today(),
        current_user.role,
        section_scope(),
        current_language(),
        tuple(sorted(request.args.items(multi=True))),
    )
    pages = _page_cache()
    with pages.lock:
        content = pages.cache.get(key)
    status = 200
    if content is None:
        page = asked()
        content = _content(page)
        status = 200 if page.valid else 400
        if page.valid:
            with pages.lock:
                pages.cache[key] = content
    return render_template("dashboard/index.html", content=content), status


def _content(page: Asked) -> Markup:
    data = page.data
    scope = section_scope()
    # A template's own output, escaped as it was rendered: safe to put in the page.
    return Markup(  # noqa: S704
        render_template(
            "dashboard/_content.html",
            form=page.form,
            data=data,
            errors=page.errors,
            args=page.args,
            links=row_links(data),
            latest_args=period_args(data, data.latest_period),
            all_time_args=period_args(data, data.all_time),
            # A treasurer lands here: the events to sell at today come first.
            events_now=[] if scope is None else events_now(db.session, scope, date.today()),
        )
    )


@dataclass
class _Pages:
    cache: LRUCache
    lock: threading.Lock = field(default_factory=threading.Lock)


def _page_cache() -> _Pages:
    """The app's cache of rendered dashboards (a few dozen: each is some 50 KB)."""
    return current_app.extensions.setdefault("tracker.dashboard_pages", _Pages(LRUCache(64)))


@bp.get("/dashboard/sections/<int:section_id>")
@signed_in
def section(section_id: int):
    require_section(section_id)
    chosen = get_section(db.session, section_id)
    if chosen is None:
        raise NotFound(_("There is no section %(id)s.", id=section_id))
    page = asked(section=chosen)
    data = page.data
    if requested_format():
        return dashboard_export(data)
    overview = stock_overview(
        db.session, data.edition.id if data.edition else None, section_id=chosen.id
    )
    return (
        render_template(
            "dashboard/section.html",
            form=page.form,
            data=data,
            errors=page.errors,
            args=page.args,
            section=chosen,
            row=data.rows[0] if data.rows else None,
            locations=overview.sections[0].locations if overview.sections else [],
            events=list_events(db.session, chosen.id),
            documents=section_documents(
                db.session, chosen.id, data.period.first, data.period.last, limit=50
            ),
            today=date.today(),
        ),
        200 if page.valid else 400,
    )


# -- alert thresholds --------------------------------------------------------------------------


@bp.route("/dashboard/thresholds", methods=["GET", "POST"])
@allow(Role.ADMIN)
def thresholds():
    sections = list_sections(db.session)
    form = ThresholdsForm()
    if not form.is_submitted():
        default = default_thresholds(db.session)
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
            actor(),
            alerts.Thresholds(form.weeks_of_cover.data, form.copies.data),
            by_section,
        )

    def saved(_result: None):
        flash(_("Alert thresholds saved."), "success")
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
