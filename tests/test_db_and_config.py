"""Configuration, and how the app talks to each database."""

from __future__ import annotations

import os
import subprocess
import sys
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
            "SECRET_KEY": "x" * 48,
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/p.sqlite",
        },
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["tracker.db"].engine.dispose()


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
    for app in (first, second):
        app.extensions["tracker.db"].engine.dispose()


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
