"""The account page: who one is, a link to change one's password, the language, and a
switch for each kind of mail one's role gets."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import csrf_token
from tracker.domain.accounts import Role
from tracker.models import AuditEntry, NotificationSetting


def test_the_header_leads_to_the_account_page(world, login):
    client = login(Role.TREASURER, "GB")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/account"' in page


def test_a_treasurer_switches_a_mail_off(world, session, login):
    client = login(Role.TREASURER, "GB")
    page = client.get("/account").get_data(as_text=True)
    assert client.user.email in page and 'href="/account/password"' in page
    assert 'name="shipment_dispatched"' in page and 'name="shipment_overdue"' in page
    assert 'name="weekly_digest"' not in page and 'name="receipt_discrepancy"' not in page
    assert page.count("checked") == 2
    # The language switch is there too, and comes back here.
    assert 'action="/language"' in page and 'name="next" value="/account"' in page
    response = client.post(
        "/account",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "shipment_overdue": "y",
            # Another role's kind is no field of this form: ignored.
            "weekly_digest": "",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    rows = session.execute(
        select(NotificationSetting.kind, NotificationSetting.enabled).where(
            NotificationSetting.user_id == client.user.id
        )
    ).all()
    assert [tuple(r) for r in rows] == [("shipment_dispatched", False)]
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.kind == "notificationsetting.created")
    )
    assert entry.user_id == client.user.id
    page = client.get("/account").get_data(as_text=True)
    assert "Your choice of mails is saved." in page and page.count("checked") == 1


def test_each_role_sees_its_own_mails(login):
    assert 'name="receipt_discrepancy"' in login(Role.DISTRIBUTOR).get("/account").get_data(
        as_text=True
    )
    assert 'name="weekly_digest"' in login(Role.COORDINATOR).get("/account").get_data(as_text=True)
    page = login(Role.ADMIN).get("/account").get_data(as_text=True)
    assert "sends no mails to accounts of your role" in page


def test_no_switch_without_the_forms_token(world, session, login):
    client = login(Role.COORDINATOR)
    response = client.post("/account", data={})
    assert response.status_code == 400
    assert session.scalars(select(NotificationSetting)).all() == []
