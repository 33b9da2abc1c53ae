"""Packaging and the test runner's options.

* ``pip install .`` (not editable) gives a tracker that starts: the wheel carries the
  templates, the migrations, the static files and the password list, and keeps its
  instance folder (SQLite file, secret key) out of site-packages. The test builds the
  wheel from a copy of the working tree, installs it with its dependencies into a new
  virtual environment (pip's usual index and cache), and runs it from an empty directory
  outside the checkout, so that nothing of the checkout can be picked up.
* pytest runs in parallel by default where pytest-xdist is loaded, and ``-p no:xdist``
  works.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import config
from tests.test_readme import _free_port, _get, _logged_in_home

ROOT = Path(__file__).resolve().parent.parent

# What the environment must not carry into the installed tracker or a nested pytest.
_DROPPED = {
    "DATABASE_URL",
    "SECRET_KEY",
    "TRACKER_CONFIG",
    "TRACKER_INSTANCE_PATH",
    "TEST_DATABASE_URL",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
}


def _environment(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED and not k.startswith(("FLASK_", "PYTEST_"))
    }
    env.update(extra)
    return env


def _run(command: list, **kwargs) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("timeout", 300)
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    return result


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.args, result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout


def test_a_checkout_keeps_templates_migrations_and_instance_at_its_top():
    """The editable install (README's commands) reads the checkout's own folders."""
    assert not config.INSTALLED
    assert config.Config.TEMPLATES_FOLDER == ROOT / "templates"
    assert config.Config.MIGRATIONS_DIR == ROOT / "migrations"
    if not os.environ.get("TRACKER_INSTANCE_PATH"):
        assert config.Config.INSTANCE_PATH == ROOT / "instance"


# -- the wheel ---------------------------------------------------------------------------


def _working_tree() -> list[str]:
    """The checkout's files as a build would see them: tracked or new, not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (ROOT / name).is_file())


def _in_wheel(name: str) -> str | None:
    """Where a file of the checkout goes in the wheel (None: it stays out)."""
    if "__pycache__" in name.split("/"):
        return None
    if name == "config.py" or name.startswith("tracker/"):
        return name
    if name.startswith(("templates/", "migrations/")):
        return "tracker/" + name
    return None


@pytest.mark.slow
def test_the_wheel_installs_a_tracker_that_migrates_loads_the_demo_and_serves(tmp_path):
    # Build the wheel as `pip install .` does, from a copy: nothing is written into the
    # checkout (setuptools leaves build/ behind, whose old files a later build would pick).
    source = tmp_path / "source"
    files = _working_tree()
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    started = time.monotonic()
    _ok(
        _run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source],
            cwd=tmp_path,
            env=_environment(),
        )
    )
    (wheel,) = dist.glob("tracker-*.whl")
    built = time.monotonic()

    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = {_in_wheel(name) for name in files} - {None}
    assert {
        "tracker/templates/base.html",
        "tracker/migrations/env.py",
        "tracker/migrations/alembic.ini",
        "tracker/data/common-passwords.txt.gz",
        "tracker/static/css/app.css",
    } <= expected
    assert sorted(expected - shipped) == []
    assert not [n for n in shipped if n.startswith(("tests/", "bench/", "instance", "docs/"))]

    # A new virtual environment, the wheel and its dependencies, installed by this
    # environment's pip (the new one needs none of its own) without compiling them to
    # bytecode first (Python does that as it imports): the same files, in half the time.
    venv = tmp_path / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", venv], env=_environment()))
    python = venv / "bin" / "python"
    _ok(
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                python,
                "install",
                "-q",
                "--no-compile",
                wheel,
            ],
            env=_environment(),
            timeout=600,
        )
    )
    installed = time.monotonic()

    # Run from an empty directory: the instance folder is this directory's instance/.
    run = tmp_path / "run"
    run.mkdir()
    port = _free_port()
    env = _environment(FLASK_RUN_PORT=str(port))
    tracker = str(venv / "bin" / "tracker")
    where = _ok(
        _run(
            [
                python,
                "-c",
                "import config, tracker; c = config.Config; "
                "print(config.__file__, tracker.__file__, c.TEMPLATES_FOLDER, "
                "c.MIGRATIONS_DIR, c.INSTANCE_PATH, sep='\\n')",
            ],
            cwd=run,
            env=env,
        )
    ).split("\n")
    site = str(venv / "lib")
    assert all(path.startswith(site) for path in where[:4]), where
    assert where[4] == str(run / "instance"), where

    assert _ok(_run([tracker, "db", "upgrade"], cwd=run, env=env)).startswith("Database at ")
    demo = _ok(_run([tracker, "demo"], cwd=run, env=env))
    assert "coordinator@example.org" in demo and "Ledger check: clean" in demo

    # The password list is read: a common password is refused, a good one is set.
    common = _run(
        [tracker, "users", "set-password", "coordinator@example.org"],
        input="123qweasdzxc\n123qweasdzxc\n",
        cwd=run,
        env=env,
    )
    assert common.returncode == 1 and "most common" in common.stderr, common
    password = "a tracker from its wheel"
    _ok(
        _run(
            [tracker, "users", "set-password", "coordinator@example.org"],
            input=f"{password}\n{password}\n",
            cwd=run,
            env=env,
        )
    )

    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [tracker, "run"],
            cwd=run,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            with contextlib.suppress(OSError):
                status, _ = _get(base + "/healthz")
            if status == 200:
                break
            time.sleep(0.2)
        assert status == 200, log_path.read_text()[-3000:]
        assert _get(base + "/readyz")[0] == 200, log_path.read_text()[-3000:]
        status, login = _get(base + "/login")
        assert status == 200 and 'name="csrf-token"' in login
        status, css = _get(base + "/static/css/app.css")
        assert status == 200 and css
        dashboard = _logged_in_home(port, "coordinator@example.org", password)
        assert "Britain (RCP)" in dashboard and "9,000" in dashboard
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    served = time.monotonic()

    assert (run / "instance" / "tracker.sqlite").is_file()
    assert (run / "instance" / "secret_key").is_file()
    assert not list(venv.rglob("instance")), "an instance folder inside the virtual environment"
    print(
        f"wheel {wheel.stat().st_size / 1024:.0f} KiB; built in {built - started:.1f} s, "
        f"installed in {installed - built:.1f} s, migrated, demo and served in "
        f"{served - installed:.1f} s"
    )
    shutil.rmtree(venv)


# -- pytest with and without xdist -------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "parallel"),
    [(["-p", "no:xdist"], False), ([], True), (["-n", "0"], False)],
    ids=["no-xdist", "default", "n0"],
)
def test_pytest_runs_with_or_without_xdist(options, parallel):
    """README's command (no option) runs in parallel; ``-p no:xdist`` and ``-n 0`` run in
    one process. A small test of this file, in a pytest of its own."""
    result = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            *options,
            "-p",
            "no:cacheprovider",
            f"{Path(__file__).relative_to(ROOT)}::"
            "test_a_checkout_keeps_templates_migrations_and_instance_at_its_top",
        ],
        cwd=ROOT,
        env=_environment(),
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "1 passed" in output
    assert ("created: " in output) == parallel, output[-3000:]
