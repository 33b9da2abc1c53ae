"""gunicorn's settings for the tracker:

    gunicorn -c gunicorn.conf.py 'tracker:create_app()'

Settings given on the command line win over these. The environment tunes a few:
``WEB_CONCURRENCY`` (workers, default 4), ``GUNICORN_BIND`` (default 127.0.0.1:8000) and
``GUNICORN_TIMEOUT`` (seconds a worker may spend on one request, default 30).

The worker timeout must leave room for the longest the app waits for its database at one
go (the connect, statement and lock timeouts, or SQLite's busy timeout: see README's
configuration table), so that a database that is down, frozen or locked gets the person
a 503 page from the app, not a worker killed mid-request and no answer at all: gunicorn
refuses to start with settings that do not leave 5 seconds to spare.

Logs go to stderr, one line per request (logger ``tracker.requests``: method, path,
status, time, user) with its request id, which the app's own errors carry too; gunicorn's
access log is off (it would say the same without the user and the id).
"""

from __future__ import annotations

# Names that are not gunicorn settings start with "_" (gunicorn reads every other one).
import math as _math
import os as _os

import config as _config
from tracker.db import longest_wait as _longest_wait

_MARGIN = 5  # seconds between the database's longest wait and the worker's timeout

bind = _os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(_os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
timeout = int(_os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout
keepalive = 5
# Managed with signals (HUP reloads, TERM stops): no control socket, whose default path
# in the user's home every gunicorn of the machine would share.
control_socket_disable = True

_settings = _config.selected()
_wait = _longest_wait({name: getattr(_settings, name) for name in dir(_settings)})
if _wait + _MARGIN > timeout:
    _said = "no limit" if _math.isinf(_wait) else f"{_wait:g} s"
    raise RuntimeError(
        f"gunicorn's worker timeout ({timeout} s, GUNICORN_TIMEOUT) must exceed the longest "
        f"wait for the database ({_said}: DATABASE_CONNECT_TIMEOUT, "
        f"DATABASE_STATEMENT_TIMEOUT, SQLITE_BUSY_TIMEOUT) by {_MARGIN} s at least"
    )

accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tracker.web.requestlog.RequestIdFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "line",
            "filters": ["request_id"],
        }
    },
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "tracker": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}
