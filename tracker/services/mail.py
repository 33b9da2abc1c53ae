"""Mails, queued in the transaction of the change that causes them (an outbox).

``enqueue`` renders a mail in its reader's language and adds it to ``mail_queue`` with
one INSERT in the caller's transaction: the mail exists exactly when the change
commits, and a change rolled back leaves no mail behind. Nothing here talks to a mail
server, so queuing never makes an action wait for one or fail with it: the sender
(``tracker mail send``, ``tracker.mailer``) sends the queue later.

Unlike the other services this one needs the app (its templates, configuration and
URL map): mails are written from the web's templates, with the web's filters.
"""

from __future__ import annotations

from email.utils import make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.db import dialect_insert, table_of, utcnow
from tracker.domain.languages import DEFAULT
from tracker.domain.languages import language as shipped_language
from tracker.models.mail import MailMessage
from tracker.services.accounts import normalize_email

# Where a mail's templates are: templates/mail/<template>.subject.txt, .txt and .html.
TEMPLATE_FOLDER = "mail"
KIND_LIMIT = 64
KEY_LIMIT = 200


def enabled() -> bool:
    """Whether the tracker sends mail at all (``NOTIFICATIONS``)."""
    from flask import current_app

    return bool(current_app.config.get("NOTIFICATIONS"))


def enqueue(
    session: Session,
    *,
    to: str,
    kind: str,
    template: str,
    language: str | None,
    context: dict[str, Any],
    key: str | None = None,
) -> MailMessage | None:
    """Queue one mail in the caller's transaction (no commit here).

    Renders, in ``language`` (a shipped language; None or another: English), the
    templates ``mail/<template>.subject.txt``, ``mail/<template>.txt`` and
    ``mail/<template>.html`` with ``context``. ``key``, when given, is unique: a second
    enqueue with the same key queues nothing and returns None (so does any enqueue
    while notifications are off). An address that is none raises ``DomainError``.
    """
    if not kind or len(kind) > KIND_LIMIT:
        raise ValueError(f"a mail's kind is 1 to {KIND_LIMIT} characters: {kind!r}")
    if key is not None and not 0 < len(key) <= KEY_LIMIT:
        raise ValueError(f"a mail's key is 1 to {KEY_LIMIT} characters: {key!r}")
    if not enabled():
        return None
    address = normalize_email(to)
    table = table_of(MailMessage)
    if key is not None and session.scalar(select(table.c.id).where(table.c.key == key)):
        return None
    code = shipped_language(language) or DEFAULT
    subject, text_body, html_body = render(template, code, context)
    now = utcnow()
    statement = (
        dialect_insert(session.get_bind().dialect.name, table)
        .values(
            kind=kind,
            key=key,
            to_address=address,
            language=code,
            subject=subject,
            text_body=text_body,
            html_body=html_body,
            message_id=_message_id(),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
        # Two transactions queuing the same key at once: the second waits for the
        # first, then queues nothing.
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.id)
    )
    new_id = session.execute(statement).scalar_one_or_none()
    return None if new_id is None else session.get(MailMessage, new_id)


def render(template: str, language: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """A mail's subject (one line), plain text and HTML, in ``language``. A mail says
    only what its context and the templates say: nothing of the request that queued it
    (no context processors), its times in UTC."""
    from flask import current_app

    from tracker.web.i18n import speaking

    environment = current_app.jinja_env
    values = {**context, "mail_language": language}

    def one(suffix: str) -> str:
        name = f"{TEMPLATE_FOLDER}/{template}.{suffix}"
        return environment.get_template(name).render(values)

    with speaking(language):
        subject = " ".join(one("subject.txt").split())
        text_body = one("txt").strip() + "\n"
        html_body = one("html")
    return subject, text_body, html_body


def link(endpoint: str, **values: Any) -> str:
    """An absolute URL from ``PUBLIC_BASE_URL``, for mails: the same in a request, a
    command or the sender, whoever asked (a Jinja global ``link`` too)."""
    from flask import current_app

    base = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "")
    if base.scheme not in ("http", "https") or not base.netloc:
        raise RuntimeError("PUBLIC_BASE_URL must be set (https://tracker.example.org)")
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def _message_id() -> str:
    """A Message-ID of the sender's domain (or the tracker's address), made once."""
    from flask import current_app

    _name, sender = parseaddr(current_app.config.get("MAIL_FROM") or "")
    domain = (
        sender.rpartition("@")[2]
        or urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname
    )
    return make_msgid("tracker", domain=domain or "tracker.invalid")
