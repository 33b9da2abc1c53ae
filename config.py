"""Configuration of the tracker, read from the environment.

Three configurations:

* ``Config``: the embedded default. SQLite in ``instance/tracker.sqlite`` unless
  ``DATABASE_URL`` says otherwise; without ``SECRET_KEY`` a random key is made once and
  kept in ``instance/secret_key`` so that sessions survive a restart. ``instance/`` is
  the checkout's when the tracker runs from one (``pip install -e .``), the working
  directory's when it was installed from a wheel (``pip install .``): never inside the
  installed package. ``TRACKER_INSTANCE_PATH`` names another folder.
* ``TestConfig``: for the test suite.
* ``ProductionConfig``: refuses to start without a real ``SECRET_KEY``.

``TRACKER_CONFIG`` (``default``, ``production`` or ``test``) picks one when the app is
created without an explicit class, as the ``tracker`` command and gunicorn do. A ``.env``
file in the working directory (and, in a checkout, at its top) is read first; variables
already set in the environment win.

Where the templates and the migrations are: a checkout keeps ``templates/`` and
``migrations/`` at its top, next to this file; a wheel carries them inside the package, as
``tracker/templates`` and ``tracker/migrations`` (setup.cfg maps them there), with this
file next to the package.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import overload

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
# Installed from a wheel: the package holds the migrations (a checkout's package never does).
INSTALLED = (BASE_DIR / "tracker" / "migrations" / "env.py").is_file()
# Where templates/ and migrations/ are.
SHIPPED_DIR = BASE_DIR / "tracker" if INSTALLED else BASE_DIR

load_dotenv(Path.cwd() / ".env")
if not INSTALLED:
    load_dotenv(BASE_DIR / ".env")

# Values that must never sign a production session: they are public.
KNOWN_DEFAULT_SECRET_KEYS = frozenset({"", "dev", "test", "secret", "change-me", "changeme"})


@overload
def _env(name: str) -> str | None: ...
@overload
def _env(name: str, default: str) -> str: ...
def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_list(name: str) -> list[str] | None:
    raw = _env(name)
    return [item.strip() for item in raw.split(",") if item.strip()] if raw else None


def _env_seconds(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 3600:
        raise RuntimeError(f"{name} must be a number of seconds (0 for none), not {raw!r}")
    return value


def _env_flag(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in ("on", "true", "yes", "1"):
        return True
    if word in ("off", "false", "no", "0"):
        return False
    raise RuntimeError(f"{name} must be on or off, not {raw!r}")


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
    # The SQLite file and the secret key: the checkout's instance/, or the working
    # directory's for an installed wheel (never site-packages).
    INSTANCE_PATH = Path(
        _env("TRACKER_INSTANCE_PATH", str((Path.cwd() if INSTALLED else BASE_DIR) / "instance"))
    )
    SECRET_KEY = _env("SECRET_KEY")
    DATABASE_URL = _env("DATABASE_URL") or f"sqlite:///{INSTANCE_PATH / 'tracker.sqlite'}"
    # How long a request waits for the database, in seconds (0: no limit). Each wait stays
    # well under gunicorn's worker timeout (30 s), which gunicorn.conf.py checks, so that a
    # database that is down, frozen or locked answers 503 instead of a killed worker.
    # SQLite: how long a writer waits for another writer's lock.
    SQLITE_BUSY_TIMEOUT = _env_seconds("SQLITE_BUSY_TIMEOUT", 5)
    # PostgreSQL: to open a connection; for one statement, on the server; for a lock, on
    # the server. A server that answers nothing at all (frozen, or the network) is given
    # up after 1.5 times the statement timeout.
    DATABASE_CONNECT_TIMEOUT = _env_seconds("DATABASE_CONNECT_TIMEOUT", 5)
    DATABASE_STATEMENT_TIMEOUT = _env_seconds("DATABASE_STATEMENT_TIMEOUT", 10)
    DATABASE_LOCK_TIMEOUT = _env_seconds("DATABASE_LOCK_TIMEOUT", 5)
    # /readyz tells the database's state and schema revision only to a signed-in admin or
    # to a request that carries this token (Authorization: Bearer ...); others get the
    # status alone.
    READYZ_TOKEN = _env("READYZ_TOKEN")
    SQL_ECHO = False
    TEMPLATES_FOLDER = SHIPPED_DIR / "templates"
    MIGRATIONS_DIR = SHIPPED_DIR / "migrations"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Host names the app answers to (comma-separated); unset: any (development).
    TRUSTED_HOSTS = _env_list("TRUSTED_HOSTS")
    # Who sends the shipments (packing slips): the warehouse's address goes with it.
    PUBLISHER_NAME = _env("PUBLISHER_NAME", "Wellred Books")
    # The currency the publisher keeps its accounts in: balances are shown in it.
    PUBLISHER_CURRENCY = _env("PUBLISHER_CURRENCY", "GBP")

    # Rows per page on pages that list moves or audit entries.

    MOVES_PER_PAGE = 50

    # Sessions: an absolute lifetime from login, whatever the activity.
    SESSION_COOKIE_NAME = "tracker_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_LIFETIME_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_LIFETIME
    SESSION_REFRESH_EACH_REQUEST = False
    # CSRF tokens live as long as the session (a sale screen stays open for hours).
    WTF_CSRF_TIME_LIMIT = None

    # Password hashes: argon2id with RFC 9106's second recommended parameters.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4

    # How many proxies in front of the app add X-Forwarded-For and X-Forwarded-Proto
    # (the TLS proxy: 1). 0 believes no such header: the address is the TCP peer's.
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # Throttling of password guesses (Flask-Limiter; see tracker.web.auth.throttle): failed
    # logins per account and address, per address, per account (for browsers that never
    # logged in to it), per account and known browser; wrong current passwords per
    # account. The storage must be shared by every app process: Redis in production.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "tracker")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = "5 per 15 minutes"
    LOGIN_FAILURES_PER_ADDRESS = "20 per 15 minutes"
    LOGIN_FAILURES_PER_ACCOUNT = "50 per hour"
    LOGIN_FAILURES_PER_KNOWN_BROWSER = "5 per 15 minutes"
    # Requests of the JSON API per token (else per person, else per address).
    API_RATE_LIMIT = _env("API_RATE_LIMIT", "600 per minute")
    PASSWORD_CHECK_FAILURES = "5 per 15 minutes"  # noqa: S105 - a limit, not a password
    # Links to reset a forgotten password (tracker.services.resets): requests per client
    # address and per email typed (beyond them: 429, whether or not the email has an
    # account), links mailed per account and hour (beyond them: the same answer, no
    # mail), and the least time an answer takes, so that an email with an account is
    # answered no slower than one without.
    PASSWORD_RESETS_PER_ADDRESS = "10 per hour"  # noqa: S105 - a limit, not a password
    PASSWORD_RESETS_PER_EMAIL = "5 per hour"  # noqa: S105 - a limit, not a password
    PASSWORD_RESET_LINKS_PER_HOUR = 3
    PASSWORD_RESET_ANSWER_SECONDS = 0.5

    # Strict-Transport-Security: only where TLS is certain (production).
    HSTS = False

    # Mail (tracker.services.mail, tracker.mailer): queued with the change that causes
    # it, sent later by `tracker mail send`. NOTIFICATIONS off: the tracker queues no
    # mail at all. Without SMTP_HOST, development and the tests write each mail to the
    # log instead of sending it; production refuses to start with notifications on and
    # no SMTP_HOST, MAIL_FROM or PUBLIC_BASE_URL.
    SMTP_HOST = _env("SMTP_HOST")
    # starttls (port 587 unless SMTP_PORT says), ssl (465) or none (25).
    SMTP_TLS = _env("SMTP_TLS", "starttls").lower()
    SMTP_PORT = _env_int("SMTP_PORT", {"ssl": 465, "none": 25}.get(SMTP_TLS, 587))
    SMTP_USER = _env("SMTP_USER")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    # Seconds to wait for the mail server at each step.
    SMTP_TIMEOUT = _env_seconds("SMTP_TIMEOUT", 30)
    # The sender of every mail: an address, or "Name <address>".
    MAIL_FROM: str | None = _env("MAIL_FROM", "tracker@localhost")
    # Where people reach the tracker: links in mails start with it.
    PUBLIC_BASE_URL: str | None = _env("PUBLIC_BASE_URL", "http://localhost:5000")
    NOTIFICATIONS = _env_flag("NOTIFICATIONS", True)


class TestConfig(Config):
    NAME = "test"
    TESTING = True
    # The test configuration never serves real users.
    SECRET_KEY = "test"  # noqa: S105
    DATABASE_URL = _env("TEST_DATABASE_URL", "sqlite://")
    # Cheap hashes: the suite logs in hundreds of times.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    RATELIMIT_STORAGE_URI = "memory://"
    PASSWORD_RESET_ANSWER_SECONDS = 0.0
    # Mails go to the log unless a test gives a server; links point nowhere real.
    SMTP_HOST: str | None = None
    MAIL_FROM = "tracker@tracker.test"
    PUBLIC_BASE_URL = "https://tracker.test"
    NOTIFICATIONS = True


class ProductionConfig(Config):
    NAME = "production"
    # __Host-: only over HTTPS, only for this host, for the whole site.
    SESSION_COOKIE_NAME = "__Host-tracker_session"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    # No guessed sender or address: both must be set for mail to go out.
    MAIL_FROM = _env("MAIL_FROM")
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL")
    # Unset: on when a mail server is given.
    NOTIFICATIONS = _env_flag("NOTIFICATIONS", Config.SMTP_HOST is not None)


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
