"""The mail queue as an admin reads it: what waits, what was sent, what failed."""

from __future__ import annotations

from datetime import UTC, datetime

from bs4 import BeautifulSoup

from tests.mail_server import send_queue
from tracker.db import db
from tracker.domain.accounts import Role
from tracker.services import mail


def _queue(app, to: str, **context) -> None:
    with app.app_context():
        mail.enqueue(
            db.session,
            to=to,
            kind="test",
            template="test",
            language=None,
            context={"server": "x", "queued_at": datetime(2026, 12, 1, tzinfo=UTC), **context},
        )
        db.commit()


def test_an_admin_sees_the_queue_without_the_mails_bodies(app, login, mail_server):
    admin = login(Role.ADMIN)
    page = admin.get("/admin/mail")
    assert page.status_code == 200
    assert "No mail yet." in page.get_data(as_text=True)

    app.config.update(mail_server.config())
    _queue(app, "sent@example.org")
    send_queue(app)
    mail_server.refusing = "451 4.3.0 Greylisted, try again later"
    _queue(app, "refused@example.org")
    send_queue(app)

    page = admin.get("/admin/mail")
    html = page.get_data(as_text=True)
    rows = BeautifulSoup(html, "html.parser").select("#mails tbody tr")
    assert len(rows) == 2
    refused, sent = (" ".join(row.get_text(" ").split()) for row in rows)
    assert "refused@example.org" in refused and "failing" in refused
    assert "451 4.3.0 Greylisted, try again later" in refused
    assert "sent@example.org" in sent and "Test mail from the book tracker" in sent
    counts = " ".join(
        BeautifulSoup(html, "html.parser").select_one("#mail-counts").get_text(" ").split()
    )
    assert counts == "queued: 0 failing: 1 sent: 1 given up: 0"
    # The bodies stay out of the page (a password reset's link is in one).
    assert "If you can read it" not in html


def test_the_mail_page_is_in_the_admin_area(login, world):
    admin = login(Role.ADMIN)
    assert 'href="/admin/mail"' in admin.get("/admin/").get_data(as_text=True)
    treasurer = login(Role.TREASURER, "GB")
    assert 'href="/admin/mail"' not in treasurer.get("/").get_data(as_text=True)
