"""The audit trail, for admins and coordinators: every change, filtered."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from tracker.db import db
from tracker.queries.accounts import users_by_email
from tracker.queries.audit import audit_entries, audit_kinds
from tracker.queries.places import list_sections
from tracker.web.access import READERS, allow
from tracker.web.audit.forms import AuditFilterForm
from tracker.web.forms import choices
from tracker.web.helpers import keyset_page, other_args
from tracker.web.inputs import query_id

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@allow(*READERS)
def index():
    form = AuditFilterForm(request.args)
    users = users_by_email(db.session)
    sections = list_sections(db.session)
    form.user.choices = choices([("", _("Anyone"))] + [(u.id, u.email) for u in users])
    form.section.choices = choices([("", _("Any section"))] + [(s.id, s.name) for s in sections])
    form.kind.choices = choices([("", _("Any change"))] + [(k, k) for k in audit_kinds(db.session)])
    filters = {}
    if form.validate():
        filters = {
            "user_id": form.user.data,
            "section_id": form.section.data,
            "kind": form.kind.data or None,
            "since": form.since.data,
            "until": form.until.data,
        }
    limit = current_app.config["MOVES_PER_PAGE"]
    page = keyset_page(
        audit_entries(
            db.session, **filters, before_id=query_id("before", big=True), limit=limit + 1
        ),
        limit,
        lambda entry: entry.id,
        **other_args("before"),
    )
    return render_template("audit/index.html", form=form, entries=page.rows, older_args=page.older)
