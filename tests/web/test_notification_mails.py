"""Notification mails from end to end: queued by the tracker's pages, services and
commands, sent through a real SMTP server, read, and their links followed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from babel.dates import format_date
from sqlalchemy import select

from tests.factories import World, log_in, post_form
from tests.mail_server import send_queue
from tracker.domain.accounts import Role
from tracker.domain.money import format_money
from tracker.domain.notifications import NotificationKind
from tracker.models import Section, Shipment
from tracker.services import notifications, places, receipts, shipments
from tracker.services.receipts import ReceiptInput
from tracker.services.shipments import LineInput

BASE = "https://tracker.test"  # TestConfig's PUBLIC_BASE_URL
EXPECTED = date(2030, 1, 10)


@pytest.fixture
def smtp_app(app, mail_server):
    """The test's app (its writes rolled back), sending through a real SMTP server."""
    app.config.update(mail_server.config())
    return app


@pytest.fixture
def staff(make_user):
    return make_user(Role.DISTRIBUTOR)


def _client(app, user):
    client = app.test_client()
    log_in(client, user.email)
    return client


def _section(session, name: str) -> Section:
    return session.scalar(select(Section).where(Section.name == name))


def _draft(world: World, session, staff, section: Section) -> Shipment:
    world.printed(100)
    shipment = shipments.create(
        session,
        staff,
        direction="outbound",
        section_id=section.id,
        carrier="An Post",
        tracking_number="CP123456789IE",
        expected_on=EXPECTED,
        lines=[LineInput(world.edition.id, 10, "12.50")],
    )
    session.commit()
    return shipment


def _dispatch_on_the_page(app, staff, shipment: Shipment) -> None:
    page = f"/shipments/{shipment.id}"
    response = post_form(_client(app, staff), f"{page}/dispatch", page=page)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def _text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _html(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def _path(url: str) -> str:
    assert url.startswith(BASE + "/"), url
    return url.removeprefix(BASE)


def test_a_dispatch_to_ireland_mails_irelands_treasurers(
    smtp_app, mail_server, world: World, session, staff, make_user
):
    ireland = places.create_section(session, name="Ireland", country_code="IE", currency="EUR")
    session.commit()
    reader = make_user(Role.TREASURER, "IE")
    quiet = make_user(Role.TREASURER, "IE")
    notifications.save_switches(session, quiet, {NotificationKind.SHIPMENT_DISPATCHED: False})
    britain = make_user(Role.TREASURER, "GB")
    session.commit()
    shipment = _draft(world, session, staff, ireland)
    _dispatch_on_the_page(smtp_app, staff, shipment)

    assert send_queue(smtp_app).sent == 1
    [message] = mail_server.messages
    assert message["To"] == reader.email
    assert message["Subject"] == f"Shipment #{shipment.id} is on its way to Ireland"
    text, html = _text(message), _html(message)
    for said in ("10 × In Defence of Lenin", "An Post", "CP123456789IE", "10 Jan 2030"):
        assert said in text, said
    assert format_money(12500, "EUR", "en") in text
    # Why it came, and where to switch it off.
    assert f"{BASE}/account" in text and f'href="{BASE}/account"' in html
    assert "Shipments dispatched to my section" in text

    # The link receives it, for the treasurer it was sent to.
    [receive] = re.findall(rf"{re.escape(BASE)}/shipments/\d+/receive", text)
    assert f'href="{receive}"' in html
    page = _client(smtp_app, reader).get(_path(receive))
    assert page.status_code == 200 and 'name="lines-0-received"' in page.get_data(as_text=True)
    # Britain's treasurer got nothing, and the link leads them nowhere.
    assert britain.email not in {m["To"] for m in mail_server.messages}
    assert _client(smtp_app, britain).get(_path(receive)).status_code == 404


def test_a_swedish_treasurer_reads_swedish(
    smtp_app, mail_server, world: World, session, staff, make_user
):
    sweden = _section(session, "Sweden")
    sweden.language, sweden.time_zone = "sv", "Europe/Stockholm"
    session.commit()
    make_user(Role.TREASURER, "SE")
    shipment = _draft(world, session, staff, sweden)
    shipment.lines[0].qty = 100
    session.commit()
    _dispatch_on_the_page(smtp_app, staff, shipment)
    send_queue(smtp_app)
    [message] = mail_server.messages
    text = _text(message)
    # Days, numbers and amounts as Swedish writes them; the words the catalogue has.
    assert format_date(EXPECTED, "dd MMM y", locale="sv") in text  # 10 jan. 2030
    assert format_money(125000, "SEK", "sv") in text  # 1 250,00 kr
    for word in ("Transportör", "Spårningsnummer", "Väntad ankomst", "fast köp"):
        assert word in text, word
    assert 'lang="sv"' in _html(message)


def test_a_damaged_receipt_mails_distribution_staff(
    smtp_app, mail_server, world: World, session, staff, make_user
):
    treasurer = make_user(Role.TREASURER, "GB")
    shipment = _draft(world, session, staff, _section(session, "Britain"))
    _dispatch_on_the_page(smtp_app, staff, shipment)
    assert send_queue(smtp_app).sent == 1  # the treasurer's, of the dispatch
    mail_server.messages.clear()
    session.expire_all()  # dispatched by the page
    with smtp_app.app_context():
        receipts.receive(
            session,
            treasurer,
            shipment.id,
            [
                ReceiptInput(
                    shipment.lines[0].id, 7, damaged=2, missing=1, reason="damaged_in_transit"
                )
            ],
        )
        session.commit()
    assert send_queue(smtp_app).sent == 1
    [message] = mail_server.messages
    assert message["To"] == staff.email
    assert f"Shipment #{shipment.id} (Britain)" in message["Subject"]
    text = _text(message)
    assert "received 7, damaged 2, missing 1 (damaged in transit)" in text
    assert f"{BASE}/shipments/{shipment.id}" in text
    assert _client(smtp_app, staff).get(f"/shipments/{shipment.id}").status_code == 200


def test_the_weekly_digest_run_twice_sends_once(
    smtp_app, mail_server, world: World, session, make_user
):
    coordinator = make_user(Role.COORDINATOR)
    make_user(Role.TREASURER, "GB")
    runner = smtp_app.test_cli_runner()
    result = runner.invoke(args=["notify", "weekly"])
    assert result.output == "Weekly digests: 1 queued.\n"
    result = runner.invoke(args=["notify", "weekly"])
    assert result.output == "Weekly digests: 0 queued, 1 sent before and left out.\n"
    assert send_queue(smtp_app).sent == 1
    [message] = mail_server.messages
    assert message["To"] == coordinator.email
    text = _text(message)
    for heading in (
        "Sections low on cover or stock",
        "Overdue shipments",
        "Events in the next two weeks with no copies sent",
        "Sales by country",
    ):
        assert heading in text
    assert "United Kingdom" in text or "Britain" in text
    assert f"{BASE}/dashboard" in text
    assert send_queue(smtp_app).sent == 0


def test_an_overdue_notice_goes_once(
    smtp_app, mail_server, world: World, session, staff, make_user
):
    treasurer = make_user(Role.TREASURER, "GB")
    shipment = _draft(world, session, staff, _section(session, "Britain"))
    shipment.expected_on = date.today() - timedelta(days=2)
    session.commit()
    with smtp_app.app_context():
        shipments.dispatch(session, staff, shipment.id, when=date.today() - timedelta(days=5))
        session.commit()
    send_queue(smtp_app)
    mail_server.messages.clear()
    runner = smtp_app.test_cli_runner()
    assert runner.invoke(args=["notify", "overdue"]).output == "Overdue notices: 1 queued.\n"
    result = runner.invoke(args=["notify", "overdue"])
    assert result.output == "Overdue notices: 0 queued, 1 sent before and left out.\n"
    assert send_queue(smtp_app).sent == 1
    [message] = mail_server.messages
    assert message["To"] == treasurer.email
    assert message["Subject"] == f"Shipment #{shipment.id} to Britain is overdue"
    assert "2 days overdue" in _text(message)
    assert f"{BASE}/shipments/{shipment.id}/receive" in _text(message)


def test_a_dispatch_rolled_back_mails_nobody(
    smtp_app, mail_server, world: World, session, staff, make_user
):
    make_user(Role.TREASURER, "GB")
    shipment = _draft(world, session, staff, _section(session, "Britain"))
    with smtp_app.app_context():
        shipments.dispatch(session, staff, shipment.id, when=datetime.now(UTC))
        session.rollback()
    assert send_queue(smtp_app).sent == 0 and mail_server.messages == []
