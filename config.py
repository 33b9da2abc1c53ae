"""Configuration of the tracker, read from the environment.

Three configurations:

* ``Config``: the embedded default. SQLite in ``instance/tracker.sqlite`` unless
  ``DATABASE_URL`` says otherwise; without ``SECRET_KEY`` a random key is made once and
  kept in ``instance/secret_key`` so that sessions survive a restart.
* ``TestConfig``: for the test suite.
* ``ProductionConfig``: refuses to start without a real ``SECRET_KEY``.

``TRACKER_CONFIG`` (``default``, ``production`` or ``test``) picks one when the app is
created without an explicit class, as the ``tracker`` command and gunicorn do. A ``.env``
file in the working directory or next to this file is read first; variables already set
in the environment win.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent

load_dotenv(Path.cwd() / ".env")
load_dotenv(BASE_DIR / ".env")

# Values that must never sign a production session: they are public.
KNOWN_DEFAULT_SECRET_KEYS = frozenset({"", "dev", "test", "secret", "change-me", "changeme"})


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None


class Config:
    NAME = "default"
    INSTANCE_PATH = Path(_env("TRACKER_INSTANCE_PATH", str(BASE_DIR / "instance")))
    SECRET_KEY = _env("SECRET_KEY")
    DATABASE_URL = _env("DATABASE_URL") or f"sqlite:///{INSTANCE_PATH / 'tracker.sqlite'}"
    # Seconds a SQLite connection waits for another writer before giving up.
    SQLITE_BUSY_TIMEOUT = _env_int("SQLITE_BUSY_TIMEOUT", 30)
    SQL_ECHO = False
    TEMPLATES_FOLDER = BASE_DIR / "templates"
    MIGRATIONS_DIR = BASE_DIR / "migrations"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Rows per page on pages that list moves.
    MOVES_PER_PAGE = 50


class TestConfig(Config):
    NAME = "test"
    TESTING = True
    SECRET_KEY = "test"  # noqa: S105 - the test configuration never serves real users
    DATABASE_URL = _env("TEST_DATABASE_URL", "sqlite://")


class ProductionConfig(Config):
    NAME = "production"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS: dict[str, type[Config]] = {
    "default": Config,
    "test": TestConfig,
    "production": ProductionConfig,
}


def selected() -> type[Config]:
    """The configuration class named by ``TRACKER_CONFIG`` (default: ``default``)."""
    name = _env("TRACKER_CONFIG", "default")
    try:
        return CONFIGS[name]
    except KeyError:
        known = ", ".join(sorted(CONFIGS))
        raise RuntimeError(f"TRACKER_CONFIG={name!r} is not one of: {known}") from None
