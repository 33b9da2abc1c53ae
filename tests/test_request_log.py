"""The request log (one line per request, with an id the error logs carry too) and
gunicorn.conf.py (timeouts that agree with the database's, logs a person can follow)."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tracker.domain.accounts import Role
from tracker.web.access import public


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
    assert re.fullmatch(r"GET /nowhere/\\x1b\[31m 400 [0-9.]+ms user=-", lines[2].getMessage())


def test_an_error_log_carries_the_id_of_its_request(app, caplog):
    @app.get("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "req-42"
    [error] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert error.request_id == "req-42" and error.exc_info is not None


ROOT = Path(__file__).resolve().parent.parent


def _gunicorn_env(tmp_path: Path, database_url: str, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRACKER_CONFIG": "default",
        "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": database_url,
        "WEB_CONCURRENCY": "1",
        **more,
    }


def test_gunicorn_refuses_a_worker_timeout_the_database_could_outlast(tmp_path):
    command = [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py"]
    url = f"sqlite:///{tmp_path}/t.sqlite"
    # The defaults agree (on PostgreSQL: 5 s to connect + 1.5 x 10 s, under 30 - 5).
    for default in (url, "postgresql://tracker@db.example.org/tracker"):
        ok = subprocess.run(
            [*command, "tracker:create_app()"],
            cwd=ROOT,
            env=_gunicorn_env(tmp_path, default),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ok.returncode == 0, ok.stderr
    short = subprocess.run(
        [*command, "tracker:create_app()"],
        cwd=ROOT,
        env=_gunicorn_env(tmp_path, url, GUNICORN_TIMEOUT="8", SQLITE_BUSY_TIMEOUT="5"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode != 0
    assert "worker timeout (8 s, GUNICORN_TIMEOUT) must exceed" in short.stderr
    unlimited = subprocess.run(
        [*command, "tracker:create_app()"],
        cwd=ROOT,
        env=_gunicorn_env(
            tmp_path, "postgresql://tracker@db.example.org/tracker", DATABASE_STATEMENT_TIMEOUT="0"
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unlimited.returncode != 0 and "no limit" in unlimited.stderr


@pytest.mark.slow
def test_gunicorn_logs_each_request_with_its_id(database, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tracker:create_app()"],
        cwd=ROOT,
        env=_gunicorn_env(tmp_path, database.fresh(), GUNICORN_BIND=f"127.0.0.1:{port}"),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/readyz", headers={"X-Request-ID": "lb-check-1"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.headers["X-Request-ID"] == "lb-check-1"
            assert json.load(response)["status"] == "ok"
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert re.search(
        r"^\S+ INFO tracker\.requests \[lb-check-1\] GET /readyz 200 [0-9.]+ms user=-$", log, re.M
    ), log
    assert "gunicorn.error [-] Booting worker" in log
