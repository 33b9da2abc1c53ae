"""The sender of the outbox (``tracker mail send``): due mails, oldest first, through SMTP.

Each mail is claimed in a short transaction of its own, committed before the server is
spoken to: the claim counts the attempt and moves the mail's next attempt ``CLAIM``
ahead, so that no other sender takes it meanwhile (PostgreSQL: ``SELECT ... FOR UPDATE
SKIP LOCKED``, senders pass each other by; SQLite: its one writer at a time). The mail
is marked sent as soon as the server has accepted it.

- The server refuses the mail (a 4xx or 5xx answer, or the connection breaks while
  it is sent): the error is kept and the mail waits ``backoff(attempts)`` (1, 2, 4 ...
  minutes, at most an hour) before it is tried again; after ``MAX_ATTEMPTS`` refusals
  (about five and a half hours) it is given up. Given up mails stay in the queue with
  their last error, on /admin/mail.
- The server cannot be reached, or refuses the login: that is not the mail's fault.
  The attempt is handed back (not counted), the error noted, and the run stops; every
  mail waits for the next run. A server down for days loses nothing.
- The sender stops between the server's acceptance and noting it (killed, or the
  database gone at that moment): the claim runs out and the mail goes again, with the
  same Message-ID. A mail is sent at least once, and more than once only then.

Without ``SMTP_HOST``, development and the tests write each mail to the log (logger
``tracker.mail``) and mark it sent; production sends nothing without a server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from tracker.db import rowcount, table_of, utcnow
from tracker.models.mail import MailMessage

log = logging.getLogger("tracker.mail")

# Refusals after which a mail is given up: 1 + 2 + 4 + ... + 60 + 60 + 60 minutes of
# waits, about five and a half hours of a server that answers but will not take it.
MAX_ATTEMPTS = 10
FIRST_WAIT = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# How long a claimed mail is left alone by other senders: well above the time one
# mail may take (SMTP_TIMEOUT at each step of the conversation).
CLAIM = timedelta(minutes=10)
TLS_MODES = ("starttls", "ssl", "none")
ERROR_LIMIT = 1000


def backoff(attempts: int) -> timedelta:
    """How long a mail refused ``attempts`` times waits before the next try."""
    return min(FIRST_WAIT * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


# -- settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    host: str | None
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str
    timeout: float
    production: bool

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            host=config.get("SMTP_HOST"),
            port=int(config.get("SMTP_PORT") or 587),
            tls=str(config.get("SMTP_TLS") or "starttls").lower(),
            user=config.get("SMTP_USER"),
            password=config.get("SMTP_PASSWORD"),
            sender=config.get("MAIL_FROM") or "",
            timeout=float(config.get("SMTP_TIMEOUT") or 30),
            production=config.get("NAME") == "production",
        )

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port} ({self.tls})" if self.host else "the log"


def settings_problem(config: Mapping[str, Any]) -> str | None:
    """What is wrong with the mail settings, in one sentence, or None. Production with
    notifications on needs a server, a sender and the public address."""
    tls = str(config.get("SMTP_TLS") or "starttls").lower()
    if tls not in TLS_MODES:
        return f"SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}."
    base = config.get("PUBLIC_BASE_URL")
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            return (
                "PUBLIC_BASE_URL must be an address such as https://tracker.example.org, "
                f"not {base!r}."
            )
    sender = config.get("MAIL_FROM")
    if sender and "@" not in parseaddr(sender)[1]:
        return f"MAIL_FROM must be a mail address (or Name <address>), not {sender!r}."
    if bool(config.get("SMTP_USER")) != bool(config.get("SMTP_PASSWORD")):
        return "SMTP_USER and SMTP_PASSWORD go together: set both, or neither."
    if config.get("NAME") == "production" and config.get("NOTIFICATIONS"):
        missing = [
            name for name in ("SMTP_HOST", "MAIL_FROM", "PUBLIC_BASE_URL") if not config.get(name)
        ]
        if missing:
            return (
                f"Notifications are on but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set: set "
                f"{'it' if len(missing) == 1 else 'them'} (see README, Mail), "
                "or set NOTIFICATIONS=off."
            )
    return None


# -- transports -------------------------------------------------------------------------


class ServerUnavailable(Exception):
    """The mail server could not be reached, or refused to let us in."""


class MailRefused(Exception):
    """The server would not take this mail (or the connection broke while it was sent)."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...
    def close(self) -> None: ...


class LogTransport:
    """Development without a mail server: each mail goes to the log."""

    def send(self, message: EmailMessage) -> None:
        """The headers people read and the plain text, as it reads (the HTML says the
        same)."""
        heads = "\n".join(
            f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Message-ID")
        )
        body = message.get_body(("plain",))
        text = body.get_content() if isinstance(body, EmailMessage) else ""
        log.info("Mail (no SMTP_HOST: written here, not sent)\n%s\n\n%s", heads, text)

    def close(self) -> None:
        pass


class SMTPTransport:
    """One connection to the server, opened at the first mail, kept for the run."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        smtp = self._connection()
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailRefused(_answers(error.recipients)) from None
        except smtplib.SMTPResponseException as error:
            raise MailRefused(_answer(error.smtp_code, error.smtp_error)) from None
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            raise MailRefused(f"the connection broke while the mail was sent: {error}") from None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            try:
                if self._smtp.noop()[0] == 250:
                    return self._smtp
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        self._smtp = self._open()
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        assert s.host
        where = f"{s.host}:{s.port}"
        smtp: smtplib.SMTP | None = None
        try:
            if s.tls == "ssl":
                smtp = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.tls == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password or "")
            return smtp
        except smtplib.SMTPAuthenticationError as error:
            _quit(smtp)
            raise ServerUnavailable(
                f"the mail server {where} refused the login of {s.user}: "
                + _answer(error.smtp_code, error.smtp_error)
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            _quit(smtp)
            raise ServerUnavailable(f"the mail server {where} cannot be reached: {error}") from None

    def close(self) -> None:
        _quit(self._smtp)
        self._smtp = None


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}"


def _answers(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{to}: {_answer(*answer)}" for to, answer in recipients.items())


def transport_for(settings: Settings) -> Transport:
    """The server's, or the log (not in production: refused with a clear message)."""
    if settings.host:
        return SMTPTransport(settings)
    if settings.production:
        raise ServerUnavailable("SMTP_HOST is not set: production sends no mail without a server.")
    return LogTransport()


# -- the outbox -------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A claimed mail, as it is sent."""

    id: int
    to_address: str
    language: str
    subject: str
    text_body: str
    html_body: str
    message_id: str
    created_at: datetime
    attempts: int


@dataclass
class Report:
    sent: int = 0
    refused: int = 0
    given_up: int = 0
    # Why the run stopped before the queue was done, when the server was the reason.
    unavailable: str | None = None

    def __str__(self) -> str:
        said = (
            f"{self.sent} sent, {self.refused} refused (to be tried again), "
            f"{self.given_up} given up"
        )
        return f"{said}; stopped: {self.unavailable}" if self.unavailable else said


def message_of(mail: Claimed, sender: str) -> EmailMessage:
    """The mail as it goes out: plain text and HTML (multipart/alternative)."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = mail.to_address
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    # RFC 3834: written by a program; vacation responders leave it unanswered.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    # After the content, which clears every Content- header.
    message["Content-Language"] = mail.language
    return message


def send_due(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: Callable[[], datetime] = utcnow,
    stop: Callable[[], bool] = lambda: False,
) -> Report:
    """Send every mail due now, oldest first, until none is left, the server is
    unavailable, or ``stop()`` says so (checked between mails)."""
    report = Report()
    transport: Transport | None = None
    try:
        while not stop():
            mail = _claim(factory, now())
            if mail is None:
                break
            try:
                # Opened at the first mail: an empty queue never calls the server.
                transport = transport or transport_for(settings)
                transport.send(message_of(mail, settings.sender))
            except ServerUnavailable as error:
                _hand_back(factory, mail, str(error), now())
                report.unavailable = str(error)
                break
            except MailRefused as error:
                if _refused(factory, mail, str(error), now()):
                    report.given_up += 1
                else:
                    report.refused += 1
                log.warning("Mail %s to %s refused: %s", mail.id, mail.to_address, error)
            else:
                _sent(factory, mail, now())
                report.sent += 1
    finally:
        if transport is not None:
            transport.close()
    return report


def _claim(factory: sessionmaker[Session], at: datetime) -> Claimed | None:
    """The oldest due mail, claimed for ``CLAIM`` in a committed transaction, or None."""
    table = table_of(MailMessage)
    while True:
        with factory() as session, session.begin():
            row = session.execute(
                select(table)
                .where(table.c.next_attempt_at <= at)
                .order_by(table.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            # Conditional, so that a claim another sender made first is never taken over.
            done = session.execute(
                update(table)
                .where(table.c.id == row.id, table.c.next_attempt_at <= at)
                .values(
                    attempts=table.c.attempts + 1, next_attempt_at=at + CLAIM, last_attempt_at=at
                )
            )
            if rowcount(done) == 1:
                return Claimed(
                    id=row.id,
                    to_address=row.to_address,
                    language=row.language,
                    subject=row.subject,
                    text_body=row.text_body,
                    html_body=row.html_body,
                    message_id=row.message_id,
                    created_at=row.created_at,
                    attempts=row.attempts + 1,
                )


def _finish(factory: sessionmaker[Session], mail: Claimed, **values: Any) -> None:
    table = table_of(MailMessage)
    with factory() as session, session.begin():
        session.execute(
            update(table)
            .where(table.c.id == mail.id, table.c.sent_at.is_(None), table.c.given_up_at.is_(None))
            .values(**values)
        )


def _sent(factory: sessionmaker[Session], mail: Claimed, at: datetime) -> None:
    _finish(factory, mail, sent_at=at, next_attempt_at=None, last_error=None)


def _refused(factory: sessionmaker[Session], mail: Claimed, error: str, at: datetime) -> bool:
    """Note a refusal: the mail waits its back-off, or is given up (True)."""
    error = error[:ERROR_LIMIT]
    if mail.attempts >= MAX_ATTEMPTS:
        _finish(factory, mail, given_up_at=at, next_attempt_at=None, last_error=error)
        return True
    _finish(factory, mail, next_attempt_at=at + backoff(mail.attempts), last_error=error)
    return False


def _hand_back(factory: sessionmaker[Session], mail: Claimed, error: str, at: datetime) -> None:
    """The server, not the mail, failed: the attempt does not count, and the mail is due
    again at once (at the next run)."""
    table = table_of(MailMessage)
    _finish(
        factory,
        mail,
        attempts=table.c.attempts - 1,
        next_attempt_at=at,
        last_error=error[:ERROR_LIMIT],
    )


def run(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    interval: float,
    stop: threading.Event,
    now: Callable[[], datetime] = utcnow,
) -> None:
    """Send the queue every ``interval`` seconds until ``stop`` is set (a signal): the
    mail under way is finished first. A database or server that is down is logged and
    tried again at the next round."""
    while not stop.is_set():
        try:
            report = send_due(factory, settings, now=now, stop=stop.is_set)
        except SQLAlchemyError as error:
            log.warning("The mail queue cannot be read: %s", str(error).splitlines()[0])
        else:
            if report.unavailable:
                log.warning("Mail: %s", report)
            elif report.sent or report.refused or report.given_up:
                log.info("Mail: %s", report)
        stop.wait(interval)
