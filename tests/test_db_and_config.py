"""Configuration, and how the app talks to each database."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text

from config import Config, ProductionConfig, TestConfig
from tracker import create_app
from tracker.db import make_engine, normalize_url


def test_production_refuses_a_missing_or_public_secret_key(tmp_path):
    for key in (None, "", "dev", "change-me", "short-but-not-default"):
        with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
            create_app(
                ProductionConfig,
                {
                    "SECRET_KEY": key,
                    "INSTANCE_PATH": str(tmp_path),
                    "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
                },
            )
    app = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
        },
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["tracker.db"].engine.dispose()


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "x" * 64,
        "ab" * 16,
        "abcdefgh" * 4,
        "password" * 5,
    ],
)
def test_production_refuses_a_secret_key_of_too_few_different_characters(tmp_path, key):
    with pytest.raises(RuntimeError) as refused:
        create_app(
            ProductionConfig,
            {
                "SECRET_KEY": key,
                "INSTANCE_PATH": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
            },
        )
    message = str(refused.value)
    assert "too few different characters" in message
    assert "secrets.token_urlsafe(48)" in message  # how to make a good one


def test_random_secret_keys_pass_the_production_check():
    from tracker.secret_key import weakness

    for _ in range(200):
        assert weakness(secrets.token_urlsafe(48)) is None
        assert weakness(secrets.token_urlsafe(32)) is None
        assert weakness(secrets.token_hex(32)) is None


def test_the_default_config_makes_a_secret_key_once_and_keeps_it(tmp_path):
    overrides = {
        "SECRET_KEY": None,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite",
    }
    first = create_app(Config, overrides)
    second = create_app(Config, overrides)
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    # Nothing is left behind but the key itself.
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["secret_key"]
    for app in (first, second):
        app.extensions["tracker.db"].engine.dispose()


@pytest.mark.slow
def test_processes_starting_at_once_use_one_secret_key(tmp_path):
    """Each process makes its key when it finds none; the file must end up holding the
    key that every one of them uses, and be complete whenever anyone reads it."""
    code = (
        "import sys, time\n"
        "from config import Config\n"
        "from tracker import create_app\n"
        "start = float(sys.argv[2])\n"
        "time.sleep(max(0, start - time.time()))\n"
        "app = create_app(Config, {'SECRET_KEY': None, 'INSTANCE_PATH': sys.argv[1],\n"
        "                          'DATABASE_URL': 'sqlite://'})\n"
        "print(app.config['SECRET_KEY'])\n"
    )
    for round_ in range(2):
        instance = tmp_path / f"instance{round_}"
        start = str(time.time() + 3)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", code, str(instance), start],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        keys = {p.communicate(timeout=60)[0].strip() for p in processes}
        assert keys == {(instance / "secret_key").read_text()}


def test_threads_racing_for_the_secret_key_all_get_the_file_s_key(tmp_path):
    from tracker.secret_key import load_or_make

    for round_ in range(20):
        path = tmp_path / f"instance{round_}" / "secret_key"
        barrier = threading.Barrier(8)
        keys = []

        def start(path=path, barrier=barrier, keys=keys):
            barrier.wait()
            keys.append(load_or_make(path))

        threads = [threading.Thread(target=start) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert set(keys) == {path.read_text()}
        assert path.stat().st_mode & 0o077 == 0


def test_an_empty_secret_key_file_is_refused_with_a_way_out(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="is empty: delete it"):
        create_app(
            Config,
            {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"},
        )


def test_environment_and_dot_env(tmp_path):
    """DATABASE_URL comes from the environment or a .env file; the environment wins."""
    (tmp_path / ".env").write_text(
        "DATABASE_URL=sqlite:////from/dotenv.sqlite\nSECRET_KEY=from-dotenv\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    code = "import config; print(config.Config.DATABASE_URL, config.Config.SECRET_KEY)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
        check=True,
    ).stdout.split()
    assert out == ["sqlite:////from/dotenv.sqlite", "from-dotenv"]
    env["DATABASE_URL"] = "postgresql://x@h/db"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
        check=True,
    ).stdout.split()
    assert out[0] == "postgresql://x@h/db"


def test_an_unknown_config_name_is_refused(tmp_path):
    env = {**os.environ, "TRACKER_CONFIG": "staging"}
    result = subprocess.run(
        [sys.executable, "-c", "import config; config.selected()"],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
    )
    assert result.returncode != 0
    assert "TRACKER_CONFIG='staging' is not one of: default, production, test" in result.stderr


def test_postgresql_urls_mean_psycopg_3():
    assert normalize_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://u@h/d").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.sqlite").drivername == "sqlite"


def test_sqlite_connections_are_set_up(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/sub/dir/x.sqlite", sqlite_busy_timeout=7)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
            # SAVEPOINT works inside a real transaction.
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.commit()
            with connection.begin():
                connection.exec_driver_sql("INSERT INTO t VALUES (1)")
                nested = connection.begin_nested()
                connection.exec_driver_sql("INSERT INTO t VALUES (2)")
                nested.rollback()
            assert connection.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
    finally:
        engine.dispose()


def test_sqlite_writers_take_the_lock_at_begin_and_readers_do_not_wait(tmp_path):
    url = f"sqlite:///{tmp_path}/x.sqlite"
    from tracker import migrate

    migrate.upgrade(url)
    writer_engine = make_engine(url, sqlite_busy_timeout=1)
    app = create_app(TestConfig, {"DATABASE_URL": url, "SQLITE_BUSY_TIMEOUT": 1})
    try:
        with writer_engine.connect() as writer:
            writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is taken
            other = make_engine(url, sqlite_busy_timeout=1)
            with pytest.raises(Exception, match="database is locked"), other.connect() as c:
                c.execute(text("SELECT 1"))
            other.dispose()
            started = time.monotonic()
            assert app.test_client().get("/readyz").status_code == 200
            assert time.monotonic() - started < 1
    finally:
        writer_engine.dispose()
        app.extensions["tracker.db"].engine.dispose()
