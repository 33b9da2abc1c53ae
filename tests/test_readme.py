"""README.md's two commands: they are there, and the first one serves the demo.

Running the first command installs the package into a new virtual environment, which
takes a while: that test runs when ``TRACKER_TEST_README=1`` (``.ci/run`` sets it). The
second command is the one that runs this suite, in ``.ci/run`` on a clean clone.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_command(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.+?)\n```\s*<!-- /{marker} -->", text, re.S)
    assert match, f"README.md has no {marker} block"
    command = match.group(1).strip()
    assert "\n" not in command, "one command, on one line"
    return command


def test_readme_gives_the_two_commands():
    run = readme_command("run-command")
    assert "pip install -e ." in run and "tracker db upgrade" in run
    assert "tracker demo" in run and run.endswith("tracker run")
    test = readme_command("test-command")
    assert "pip install -e '.[test]'" in test and "pytest" in test


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_CREDENTIALS: dict[str, str] = {}


def _logged_in_home(port: int, email: str, password: str) -> str:
    """Log in through the login form (CSRF token and cookie), return the page it lands on."""
    import http.cookiejar
    import urllib.parse

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    base = f"http://127.0.0.1:{port}"
    html = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    with opener.open(base + "/login", data=data.encode(), timeout=10) as response:
        assert response.status == 200 and response.url == base + "/dashboard"
        return response.read().decode()


def _get(url: str) -> tuple[int, str]:

    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.mark.skipif(
    os.environ.get("TRACKER_TEST_README") != "1",
    reason="installs into a new virtual environment; set TRACKER_TEST_README=1",
)
def test_the_run_command_serves_the_demo_on_a_fresh_checkout(tmp_path):
    checkout = tmp_path / "tracker"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(checkout)], check=True, timeout=120)
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "TRACKER_CONFIG", "VIRTUAL_ENV", "FLASK_APP")
    }
    env["FLASK_RUN_PORT"] = str(port)
    with (tmp_path / "run.log").open("w") as log:
        for attempt in ("first", "again"):
            _serve_and_check(checkout, env, log, port, attempt)
    assert (checkout / "instance" / "tracker.sqlite").exists()


def _serve_and_check(checkout: Path, env: dict, log: IO[str], port: int, attempt: str) -> None:
    """Run README's first command, wait until /readyz says ready, look at the home page."""
    process = subprocess.Popen(
        ["bash", "-c", readme_command("run-command")],
        cwd=checkout,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                status = None
            if status == 200:
                break
            time.sleep(1)
        log.flush()
        assert status == 200, (attempt, Path(log.name).read_text()[-3000:])
        if attempt == "first":
            log.flush()
            printed = re.findall(
                r"^  (\S+@example\.org)\s+(\S+)\s", Path(log.name).read_text(), re.M
            )
            assert "coordinator@example.org" in dict(printed), "no demo accounts printed"
            _CREDENTIALS.update(printed)
        body = _logged_in_home(
            port, "coordinator@example.org", _CREDENTIALS["coordinator@example.org"]
        )
        assert "Britain (RCP)" in body and "9,000" in body
    finally:
        # It may have stopped by itself (and the assertion above says why).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
