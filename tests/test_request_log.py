"""The request log: one line per request, with an id the error logs carry too."""

from __future__ import annotations

import logging
import re

from tracker.access import public
from tracker.models import Role


def test_each_request_logs_one_line_with_its_id(client, login, caplog):
    """The line is written once the body is sent (here: read by the test)."""
    caplog.set_level(logging.INFO, logger="tracker.requests")
    response = client.get("/login", headers={"X-Request-ID": "edge-7f3a.1:2"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.1:2"
    coordinator = login(Role.COORDINATOR)
    caplog.clear()
    mine = coordinator.get("/")
    mine.get_data()
    odd = client.get("/healthz", headers={"X-Request-ID": "two words; <script>"})
    odd.get_data()
    long = client.get("/nowhere/\x1b[31m", headers={"X-Request-ID": "x" * 129})
    long.get_data()

    lines = [r for r in caplog.records if r.name == "tracker.requests"]
    assert [r.request_id for r in lines] == [
        mine.headers["X-Request-ID"],
        odd.headers["X-Request-ID"],
        long.headers["X-Request-ID"],
    ]
    for response in (mine, odd, long):  # new ones
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    user = coordinator.user
    assert re.fullmatch(
        rf"GET / 200 [0-9.]+ms user={user.id} {re.escape(user.email)}",
        lines[0].getMessage(),
    )
    assert re.fullmatch(r"GET /healthz 200 [0-9.]+ms user=-", lines[1].getMessage())
    # One line, whatever the path holds.
    assert re.fullmatch(r"GET /nowhere/\\x1b\[31m 404 [0-9.]+ms user=-", lines[2].getMessage())


def test_an_error_log_carries_the_id_of_its_request(app, caplog):
    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "req-42"
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.request_id == "req-42" and error.exc_info is not None
