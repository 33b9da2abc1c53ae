"""The dashboard's filters, read from the address: what a page asks for (an edition, a
country or a section, a period), and what it may see (a treasurer, their section)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask import current_app, request, url_for
from werkzeug.datastructures import MultiDict

from tracker.db import db
from tracker.domain.periods import MAX_WEEKS, Period, period_problem, requested_period
from tracker.models import Section
from tracker.queries import dashboard
from tracker.queries.catalogue import list_editions
from tracker.queries.dashboard import Dashboard
from tracker.queries.places import list_sections
from tracker.web.access import section_scope
from tracker.web.dashboard.forms import DashboardFilterForm, no_such


@dataclass
class Asked:
    """A dashboard as the address asks for it, and what was wrong with the address."""

    form: DashboardFilterForm
    data: Dashboard
    errors: dict[str, list[str]]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def args(self) -> dict:
        return address_args(self.data)


def _read_form(
    sections: list[Section], filters: MultiDict
) -> tuple[DashboardFilterForm, dict[str, list[str]]]:
    countries = sorted({s.country_code: s.country for s in sections}.values(), key=lambda c: c.name)
    form = DashboardFilterForm(filters)
    form.set_choices(list_editions(db.session), countries, sections)
    form.validate()
    for entry in form:
        entry.errors = [
            no_such(entry.name) if error == "Not a valid choice." else error
            for error in entry.errors
        ]
    return form, {name: list(errs) for name, errs in form.errors.items()}


def _period(form: DashboardFilterForm, errors: dict[str, list[str]], default: Period) -> Period:
    start = None if "start" in errors else form.start.data
    end = None if "end" in errors else form.end.data
    period = requested_period(start, end, default)
    problem = period_problem(period)
    if problem:
        errors.setdefault("start", []).append(problem)
        period = Period.weeks_to(period.last, MAX_WEEKS)
    return period


def asked(section: Section | None = None, filters: Mapping[str, str] | None = None) -> Asked:
    """The dashboard the address asks for (of ``section``, on a section's page); or
    the one ``filters`` ask for, by the names the address uses (``start``, ``end``,
    ``edition``, ``country``, ``section``: the API's)."""
    scope = section_scope()
    sections = list_sections(db.session, scope)
    form, errors = _read_form(
        sections, request.args if filters is None else MultiDict(dict(filters))
    )

    def ok(name: str):
        return None if name in errors else getattr(form, name).data

    today = date.today()
    activity = dashboard.activity_weeks(db.session)
    period = _period(form, errors, dashboard.default_period(activity[1], today))
    edition = next((e for e in form.edition_choices if e.id == ok("edition")), None)
    if scope is not None:
        section = sections[0] if sections else None
    elif section is None and ok("section") is not None:
        section = next((s for s in sections if s.id == ok("section")), None)
    country = None
    if section is None and ok("country"):
        country = next((s.country for s in sections if s.country_code == ok("country")), None)
    data = dashboard.build(
        db.session,
        period=period,
        today=today,
        publisher_currency=current_app.config["PUBLISHER_CURRENCY"],
        edition=edition,
        country=country,
        section=section,
        scoped=scope is not None,
        activity=activity,
        sections=sections,
    )
    return Asked(form, data, errors)


def address_args(data: Dashboard, **changes: object) -> dict:
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


def period_args(data: Dashboard, period: Period | None) -> dict | None:
    if period is None:
        return None
    return address_args(data, start=period.first.isoformat(), end=period.last.isoformat())


def row_links(data: Dashboard) -> dict[str, str]:
    """Down one level from each row: a country to its sections, a section to its page."""
    links = {}
    for row in data.rows:
        if row.section is not None:
            links[row.key] = url_for(
                "dashboard.section",
                section_id=row.section.id,
                **address_args(data, country=None),
            )
        else:
            links[row.key] = url_for(
                "dashboard.index", **address_args(data, country=row.country.code)
            )
    return links
