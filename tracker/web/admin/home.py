"""For admins: the landing page of everything they set up, one line each."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.queries.places import list_sections
from tracker.web.access import allow
from tracker.web.admin.views import bp

# (endpoint, name, what is set up there).
AREAS = [
    ("admin.users", _l("Accounts"), _l("Who may log in, with which role and section.")),
    (
        "admin.sections",
        _l("Sections"),
        _l(
            "Each section's country, currency, time zone, language, contact and treasurers; "
            "archive a section that stopped."
        ),
    ),
    (
        "admin.places_list",
        _l("Places"),
        _l("The warehouse and the sections' stores, with the postal addresses packing slips show."),
    ),
    ("admin.catalogue", _l("Catalogue"), _l("Titles, authors and editions.")),
    (
        "imports.index",
        _l("Import"),
        _l("Opening stock, past sales, shipments, sections and editions from CSV or XLSX."),
    ),
    (
        "dashboard.thresholds",
        _l("Alert thresholds"),
        _l("When the dashboard warns of low stock: weeks of cover and copies on hand."),
    ),
    (
        "money.rates",
        _l("Exchange rates"),
        _l("What each currency is worth in the publisher's, for totals across sections."),
    ),
    ("admin.dating", _l("Dates"), _l("How far back documents may be dated; closed months.")),
    (
        "admin.mail",
        _l("Mail"),
        _l("The mail queue: what was sent to whom, what waits, and what the server refused."),
    ),
]


@bp.get("/")
@allow(Role.ADMIN)
def index():
    areas = [(url_for(endpoint), name, text) for endpoint, name, text in AREAS]
    return render_template(
        "admin/index.html", areas=areas, sections=list_sections(db.session, open_only=True)
    )
