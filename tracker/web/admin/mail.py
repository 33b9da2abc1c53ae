"""For admins: the mail queue, read only (what waits, what was sent, what failed)."""

from __future__ import annotations

from flask import current_app, render_template

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.mailer import MAX_ATTEMPTS, Settings
from tracker.queries.mail import mail_counts, mail_messages
from tracker.web.access import allow
from tracker.web.admin.views import bp
from tracker.web.helpers import keyset_page
from tracker.web.inputs import query_id


@bp.get("/mail")
@allow(Role.ADMIN)
def mail():
    limit = current_app.config["MOVES_PER_PAGE"]
    page = keyset_page(
        mail_messages(db.session, before_id=query_id("before"), limit=limit + 1),
        limit,
        lambda message: message.id,
    )
    return render_template(
        "admin/mail.html",
        counts=mail_counts(db.session),
        messages=page.rows,
        older=page.older,
        server=Settings.of(current_app.config).server,
        notifications=current_app.config.get("NOTIFICATIONS"),
        max_attempts=MAX_ATTEMPTS,
    )
