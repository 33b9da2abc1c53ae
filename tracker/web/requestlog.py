"""One log line per request, and a request id that ties it to the error logs.

Every request gets an id: the ``X-Request-ID`` header a proxy in front sent, when it is a
sane token (letters, digits and ``._:-``, at most 128 characters), else a new random
one. The response carries it back in ``X-Request-ID``. When the response is sent, the
logger ``tracker.requests`` writes one line at INFO:

    POST /events/3/sell 503 5012.4ms user=12 treasurer.gb@example.org

with the id in the record's ``request_id`` attribute; ``RequestIdFilter`` gives every
other record logged during the request (the app's errors, with their traceback) the same
attribute, so a log format with ``%(request_id)s`` (gunicorn.conf.py's) shows it on every
line. Nothing is configured here: the process's logging configuration decides what is
shown (under pytest, nothing below WARNING).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask, has_request_context, request

ENVIRON_ID = "tracker.request_id"
ENVIRON_USER = "tracker.user"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_UNPRINTABLE = re.compile(r"[\x00-\x20\x7f-\x9f]")
# A path that carries a secret (a password reset link's token) is logged without it:
# whoever reads the logs must not be able to use the link.
_SECRET_IN_PATH = re.compile(r"^(/password/reset/)[^/]+")

log = logging.getLogger("tracker.requests")


def init_app(app: Flask) -> None:
    """Wrap the app to log its requests. Call before the other extensions register
    their ``before_request`` functions: the user is noted first."""
    # Flask's documented way to wrap its WSGI app; its types call wsgi_app a method.
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(_note_user)
    if not any(isinstance(f, RequestIdFilter) for f in app.logger.filters):
        app.logger.addFilter(RequestIdFilter())


def request_id(incoming: str | None) -> str:
    """The id a request goes by: the proxy's, when sane, else a new one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives a record the id of the request it was logged in (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            rid = request.environ.get(ENVIRON_ID) if has_request_context() else None
            record.request_id = rid or "-"
        return True


def _note_user() -> None:
    """Who sends the request, for its log line: read now, while the user is fresh from
    the database (after a rollback, reading it again would need the database)."""
    from flask_login import current_user

    if request.endpoint == "static":
        return
    user = current_user._get_current_object()
    if user.is_authenticated:
        request.environ[ENVIRON_USER] = f"{user.id} {user.email}"


def _printable(text: str, limit: int = 300) -> str:
    """A path as one line of log: control characters and spaces escaped, cut short."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[:limit] + "..."


class RequestLog:
    """WSGI middleware: the request id in and out, one log line once the body is sent."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        rid = environ[ENVIRON_ID] = request_id(environ.get("HTTP_X_REQUEST_ID"))
        status = ["500"]

        def start(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = line.split(" ", 1)[0]
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-ID", rid))
            return start_response(line, headers, exc_info)

        def done(note: str = "") -> None:
            log.info(
                "%s %s %s %.1fms user=%s%s",
                environ.get("REQUEST_METHOD", "-"),
                _printable(
                    environ.get("SCRIPT_NAME", "")
                    + _SECRET_IN_PATH.sub(r"\1...", environ.get("PATH_INFO", ""))
                ),
                status[0],
                (time.perf_counter() - started) * 1000,
                environ.get(ENVIRON_USER, "-"),
                note,
                extra={"request_id": rid},
            )

        try:
            body = self.app(environ, start)
        except BaseException:
            status[0] = "500"
            done(" (no response)")
            raise
        return _then(body, done)


def _then(body: Iterable[bytes], done: Callable[..., None]) -> Iterator[bytes]:
    """``body``, calling ``done`` once it is sent whole (or cut short)."""
    complete = False
    try:
        yield from body
        complete = True
    finally:
        close = getattr(body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            done("" if complete else " (cut short)")
