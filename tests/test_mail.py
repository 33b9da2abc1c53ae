"""Mail: queued in the transaction of its change, sent later through a real SMTP server,
nothing lost while the server is down or refusing, nothing sent twice."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import ProductionConfig, TestConfig
from tests.mail_server import MailServer, free_port, send_queue
from tracker import create_app, mailer
from tracker.db import db
from tracker.domain.errors import DomainError
from tracker.models import MailMessage
from tracker.services import mail

QUEUED_AT = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)


def _enqueue(to: str = "reader@example.org", *, language: str | None = None, key=None):
    """Queue a test mail in the current transaction (in an app context)."""
    return mail.enqueue(
        db.session,
        to=to,
        kind="test",
        template="test",
        language=language,
        context={"server": "the tests", "queued_at": QUEUED_AT},
        key=key,
    )


def _queue(app, to: str = "reader@example.org", *, language: str | None = None, key=None):
    """Queue a test mail and commit; its id (None when nothing was queued)."""
    with app.app_context():
        queued = _enqueue(to, language=language, key=key)
        db.commit()
        return None if queued is None else queued.id


def _mails(app) -> list[MailMessage]:
    with app.app_context():
        return list(db.session.scalars(select(MailMessage).order_by(MailMessage.id)))


def _later(minutes: float):
    return lambda: datetime.now(UTC) + timedelta(minutes=minutes)


@pytest.fixture
def mail_app(committed_app, mail_server):
    """An app whose commits are real, sending through the test's SMTP server."""
    committed_app.config.update(mail_server.config())
    return committed_app


def test_a_mail_queued_in_a_transaction_that_rolls_back_is_never_sent(mail_app, mail_server):
    with mail_app.app_context():
        _enqueue()
        db.rollback()
    assert send_queue(mail_app).sent == 0
    assert _mails(mail_app) == []
    assert mail_server.messages == []


def test_the_same_key_queues_one_mail(mail_app):
    key = "digest:2026-W49:user:5"
    first = _queue(mail_app, key=key)
    assert first is not None
    assert _queue(mail_app, key=key) is None
    with mail_app.app_context():
        # Twice in one transaction, too.
        again = _enqueue("other@example.org", language="sv", key=key)
        assert again is None
        count = db.session.scalar(select(func.count()).select_from(MailMessage))
    assert count == 1


def test_a_mail_goes_out_as_text_and_html_with_absolute_links(mail_app, mail_server):
    mail_app.config["PUBLIC_BASE_URL"] = "https://books.example.org/tracker"
    mail_id = _queue(mail_app, "Reader@Example.org")
    report = send_queue(mail_app)
    assert (report.sent, report.refused, report.unavailable) == (1, 0, None)
    [received] = mail_server.messages
    [row] = _mails(mail_app)
    assert row.id == mail_id
    assert received["To"] == "reader@example.org"
    assert received["X-Envelope-To"] == "reader@example.org"
    assert received["From"] == TestConfig.MAIL_FROM
    assert received["Subject"] == "Test mail from the book tracker" == row.subject
    assert received["Message-ID"] == row.message_id
    assert received["Auto-Submitted"] == "auto-generated"
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "If you can read it, the tracker can send mail." in text
    assert "https://books.example.org/tracker/" in text
    assert 'href="https://books.example.org/tracker/"' in html
    assert "<html" in html and "An administrator sent this mail" in html
    assert row.sent_at is not None and row.next_attempt_at is None
    assert (row.attempts, row.last_error, row.state) == (1, None, "sent")
    # Sent is sent: another run sends nothing.
    assert send_queue(mail_app).sent == 0
    assert len(mail_server.messages) == 1


def test_a_mail_is_written_in_its_readers_language(mail_app, mail_server):
    _queue(mail_app, language="sv")
    _queue(mail_app, language=None)
    send_queue(mail_app)
    swedish, english = mail_server.wait_for(2)
    assert swedish["Content-Language"] == "sv"
    assert english["Content-Language"] == "en"
    # "Book tracker" and the months are in the Swedish catalogue and CLDR.
    assert "Bokspårning" in swedish.get_body(("html",)).get_content()
    assert "01 dec. 2026" in swedish.get_body(("plain",)).get_content()
    assert "01 Dec 2026" in english.get_body(("plain",)).get_content()
    assert "Book tracker" in english.get_body(("html",)).get_content()


def test_a_refusing_server_then_an_accepting_one_gets_each_mail_once(mail_app, mail_server):
    ids = [_queue(mail_app, f"reader{n}@example.org") for n in range(3)]
    mail_server.refusing = "451 4.3.0 Try again later"
    report = send_queue(mail_app)
    assert (report.sent, report.refused) == (0, 3)
    assert mail_server.messages == []
    for row in _mails(mail_app):
        assert row.state == "failing" and row.attempts == 1
        assert "451 4.3.0 Try again later" in (row.last_error or "")
        assert row.next_attempt_at is not None
        assert row.last_attempt_at is not None
        # The back-off counts from the refusal, a moment after the attempt began.
        waits = row.next_attempt_at - row.last_attempt_at
        assert mailer.backoff(1) <= waits < mailer.backoff(1) + timedelta(seconds=10)
    # Not due yet: nothing is tried before its back-off.
    mail_server.refusing = None
    assert send_queue(mail_app).sent == 0
    report = send_queue(mail_app, now=_later(2))
    assert (report.sent, report.refused) == (3, 0)
    assert send_queue(mail_app, now=_later(120)).sent == 0
    received = sorted(message["To"] for message in mail_server.messages)
    assert received == [f"reader{n}@example.org" for n in range(3)]
    rows = _mails(mail_app)
    assert [row.id for row in rows] == ids
    assert all(row.state == "sent" and row.attempts == 2 for row in rows)


def test_a_server_that_is_down_loses_nothing(committed_app):
    down = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port(), "SMTP_TLS": "none"}
    committed_app.config.update(down)
    for n in range(3):
        _queue(committed_app, f"reader{n}@example.org")
    for _ in range(12):  # more runs than a mail has attempts
        report = send_queue(committed_app)
        assert report.sent == 0 and report.unavailable
        assert "cannot be reached" in report.unavailable
    rows = _mails(committed_app)
    assert all(row.attempts == 0 and row.given_up_at is None for row in rows)
    assert "cannot be reached" in (rows[0].last_error or "")
    server = MailServer().start()
    try:
        committed_app.config.update(server.config())
        assert send_queue(committed_app).sent == 3
        assert len(server.messages) == 3
    finally:
        server.stop()


def test_a_mail_refused_again_and_again_is_given_up_and_kept(mail_app, mail_server):
    _queue(mail_app)
    mail_server.refusing = "550 5.1.1 No such mailbox"
    minutes = 0.0
    for attempt in range(1, mailer.MAX_ATTEMPTS + 1):
        report = send_queue(mail_app, now=_later(minutes))
        assert report.refused + report.given_up == 1
        minutes += mailer.backoff(attempt).total_seconds() / 60 + 0.5
    assert report.given_up == 1
    [row] = _mails(mail_app)
    assert row.state == "given_up" and row.attempts == mailer.MAX_ATTEMPTS
    assert "550 5.1.1 No such mailbox" in (row.last_error or "")
    mail_server.refusing = None
    assert send_queue(mail_app, now=_later(minutes + 600)).sent == 0
    assert mail_server.messages == []


def test_back_off_doubles_up_to_an_hour():
    waits = [mailer.backoff(n) for n in range(1, mailer.MAX_ATTEMPTS + 1)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=1)


def test_two_senders_at_once_send_each_mail_once(mail_app, mail_server):
    count = 24
    for n in range(count):
        _queue(mail_app, f"reader{n}@example.org")
    mail_server.delay = 0.02
    barrier = threading.Barrier(2)

    def sender() -> int:
        barrier.wait(timeout=30)
        return send_queue(mail_app).sent

    with ThreadPoolExecutor(2) as pool:
        sent = [future.result(timeout=120) for future in [pool.submit(sender) for _ in range(2)]]
    assert sum(sent) == count
    ids = [message["Message-ID"] for message in mail_server.wait_for(count)]
    assert len(ids) == len(set(ids)) == count
    assert all(row.state == "sent" and row.attempts == 1 for row in _mails(mail_app))


def test_without_a_mail_server_development_writes_mails_to_the_log(committed_app, caplog):
    assert committed_app.config["SMTP_HOST"] is None
    _queue(committed_app, "reader@example.org")
    with caplog.at_level(logging.INFO, logger="tracker.mail"):
        report = send_queue(committed_app)
    assert report.sent == 1
    assert "To: reader@example.org" in caplog.text
    assert "Subject: Test mail from the book tracker" in caplog.text
    assert [row.state for row in _mails(committed_app)] == ["sent"]


def test_notifications_off_queues_nothing(committed_app):
    committed_app.config["NOTIFICATIONS"] = False
    assert _queue(committed_app) is None
    assert _mails(committed_app) == []


def test_an_address_that_is_none_is_refused(app):
    with app.app_context(), pytest.raises(DomainError, match="is not an email address"):
        _enqueue("nobody")


def test_the_sender_works_on_a_tests_rolled_back_connection(app, mail_server):
    """What other tests use: ``send_queue`` on the usual ``app`` fixture."""
    app.config.update(mail_server.config())
    with app.app_context():
        _enqueue()
        db.commit()
    assert send_queue(app).sent == 1
    assert [m["To"] for m in mail_server.messages] == ["reader@example.org"]


def _production(tmp_path, **settings):
    return create_app(
        ProductionConfig,
        {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
            **settings,
        },
    )


def test_production_with_notifications_on_and_no_mail_server_refuses_to_start(tmp_path):
    with pytest.raises(RuntimeError) as refused:
        _production(tmp_path, NOTIFICATIONS=True, SMTP_HOST=None, MAIL_FROM=None)
    message = str(refused.value)
    assert "Notifications are on but SMTP_HOST, MAIL_FROM, PUBLIC_BASE_URL are not set" in message
    assert "NOTIFICATIONS=off" in message
    app = _production(tmp_path, NOTIFICATIONS=False, SMTP_HOST=None)
    app.extensions["tracker.db"].engine.dispose()
    app = _production(
        tmp_path,
        NOTIFICATIONS=True,
        SMTP_HOST="smtp.example.org",
        MAIL_FROM="Tracker <tracker@example.org>",
        PUBLIC_BASE_URL="https://tracker.example.org",
    )
    app.extensions["tracker.db"].engine.dispose()


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"SMTP_TLS": "tls"}, "SMTP_TLS must be one of starttls, ssl, none"),
        ({"PUBLIC_BASE_URL": "tracker.example.org"}, "PUBLIC_BASE_URL must be an address"),
        ({"MAIL_FROM": "tracker"}, "MAIL_FROM must be a mail address"),
        ({"SMTP_USER": "tracker"}, "SMTP_USER and SMTP_PASSWORD go together"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused_at_start(settings, words):
    with pytest.raises(RuntimeError, match=words):
        create_app(TestConfig, {"DATABASE_URL": "sqlite://", **settings})


def test_production_without_a_server_sends_nothing_and_says_why(database, tmp_path):
    app = _production(
        tmp_path,
        NOTIFICATIONS=False,
        SMTP_HOST=None,
        MAIL_FROM="tracker@example.org",
        PUBLIC_BASE_URL="https://tracker.example.org",
        DATABASE_URL=database.fresh(),
    )
    try:
        assert send_queue(app).unavailable is None  # nothing queued: nothing to say
        app.config["NOTIFICATIONS"] = True
        _queue(app)
        report = send_queue(app)
        assert report.unavailable == (
            "SMTP_HOST is not set: production sends no mail without a server."
        )
        [row] = _mails(app)
        assert (row.state, row.attempts) == ("failing", 0)
    finally:
        app.extensions["tracker.db"].engine.dispose()


def test_the_test_command_queues_and_sends(mail_app, mail_server, runner):
    result = runner.invoke(args=["mail", "test", "Admin@Example.org", "--language", "sv"])
    assert result.exit_code == 0, result.output
    assert "Queued a test mail to admin@example.org." in result.output
    assert f"Mail through 127.0.0.1:{mail_server.port} (none): 1 sent" in result.output
    [received] = mail_server.messages
    assert received["Content-Language"] == "sv"
    result = runner.invoke(args=["mail", "test", "nobody"])
    assert result.exit_code == 1 and "is not an email address" in result.output


def test_the_send_command_says_when_the_server_is_down(committed_app, runner):
    committed_app.config.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": free_port()})
    committed_app.config["SMTP_TLS"] = "none"
    _queue(committed_app)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "cannot be reached" in result.output and "Traceback" not in result.output
    assert [row.state for row in _mails(committed_app)] == ["failing"]


def test_the_loop_sends_what_is_queued_while_it_runs_and_stops_when_told(mail_app, mail_server):
    stop = threading.Event()
    with mail_app.app_context():
        factory = db.session_factory
    worker = threading.Thread(
        target=mailer.run,
        args=(factory, mailer.Settings.of(mail_app.config)),
        kwargs={"interval": 0.05, "stop": stop},
    )
    worker.start()
    try:
        _queue(mail_app)
        assert len(mail_server.wait_for(1)) == 1
        _queue(mail_app, "second@example.org")
        assert len(mail_server.wait_for(2)) == 2
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()


@pytest.mark.slow
def test_the_loop_as_a_service_stops_cleanly_on_sigterm(database, mail_server, tmp_path):
    if database.is_postgresql:
        pytest.skip("the signal is the same on either engine")
    url = database.fresh()
    script = Path(sys.executable).with_name("tracker")
    env = {k: v for k, v in os.environ.items() if k != "FLASK_APP"}
    # The default configuration: the test one sends through no server but the log.
    env.update(
        TRACKER_CONFIG="default",
        TRACKER_INSTANCE_PATH=str(tmp_path),
        DATABASE_URL=url,
        SMTP_HOST=mail_server.host,
        SMTP_PORT=str(mail_server.port),
        SMTP_TLS="none",
    )
    app = create_app(TestConfig, {"DATABASE_URL": url})
    try:
        _queue(app)
    finally:
        app.extensions["tracker.db"].engine.dispose()
    service = subprocess.Popen(
        [str(script), "mail", "send", "--loop", "--interval", "1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert len(mail_server.wait_for(1, timeout=30)) == 1
        time.sleep(0.2)
        service.send_signal(signal.SIGTERM)
        out, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, err
    assert "Stopped." in out
