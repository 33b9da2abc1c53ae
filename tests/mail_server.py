"""A real SMTP server for the tests (aiosmtpd, in a thread, on a free local port).

It keeps each mail it accepts as an ``email.message.EmailMessage`` in ``messages``. Set
``refusing`` to an SMTP answer (``"451 4.3.0 Try again later"``) and it refuses every
recipient with it until set back to None: a server that refuses, then accepts.
"""

from __future__ import annotations

import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refusing: str | None = None
        # Seconds the server takes to accept each mail (lets concurrent senders overlap).
        self.delay = 0.0
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    def start(self) -> MailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def config(self) -> dict[str, Any]:
        """The app's settings for sending through this server."""
        return {"SMTP_HOST": self.host, "SMTP_PORT": self.port, "SMTP_TLS": "none"}

    def received(self, message: EmailMessage) -> None:
        with self._lock:
            self.messages.append(message)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        if self.server.refusing:
            return self.server.refusing
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.server.delay:
            import asyncio

            await asyncio.sleep(self.server.delay)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        assert isinstance(message, EmailMessage)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.server.received(message)
        return "250 Message accepted for delivery"


def send_queue(app: Any, **kwargs: Any) -> Any:
    """Send the app's queue as ``tracker mail send`` does (through the server its
    configuration names, or the log), on the app's own sessions: in a test's app bound
    to a rolled-back connection, what the sender writes is rolled back with it."""
    from tracker import mailer

    with app.app_context():
        factory = app.extensions["tracker.db"].session_factory
        return mailer.send_due(factory, mailer.Settings.of(app.config), **kwargs)
