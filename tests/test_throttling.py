"""Failed logins are counted in shared storage: two app processes share one limit.

With gunicorn's workers, per-process counting would multiply the allowed attempts; in
production the limiter's storage is Redis (``RATELIMIT_STORAGE_URI``). This test starts
two separate Python processes, each with its own app, against one Redis and one database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from sqlalchemy import select

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

WORKER = textwrap.dedent("""
    import json, re, sys
    from config import TestConfig
    from tracker import create_app

    url, redis, prefix, email, attempts = sys.argv[1:6]
    app = create_app(TestConfig, {"DATABASE_URL": url, "RATELIMIT_STORAGE_URI": redis,
                                  "RATELIMIT_KEY_PREFIX": prefix})
    statuses = []
    for _ in range(int(attempts)):
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        response = client.post("/login", data={"email": email, "password": "wrong guess here",
                                               "csrf_token": token})
        statuses.append(response.status_code)
    print(json.dumps(statuses))
""")


def _redis():
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but Redis is not reachable at {REDIS}")
        pytest.skip(f"Redis is not reachable at {REDIS}")
    return client


def _worker(url: str, prefix: str, email: str, attempts: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, url, REDIS, prefix, email, str(attempts)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_processes_share_one_limit(database):
    redis = _redis()
    from config import TestConfig
    from tests.factories import make_user
    from tracker import create_app
    from tracker.db import db
    from tracker.domain.accounts import Role
    from tracker.models import AuditEntry

    url = database.fresh()
    app = create_app(TestConfig, {"DATABASE_URL": url})
    with app.app_context():
        user = make_user(db.session, app.extensions["tracker.hasher"], Role.ADMIN)
        email = user.email
    app.extensions["tracker.db"].engine.dispose()
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    try:
        first = _worker(url, prefix, email, 3)
        second = _worker(url, prefix, email, 3)
        # Five failures per account and address are allowed in all, whichever process
        # saw them.
        assert first == [200, 200, 200]
        assert second == [200, 200, 429]
        assert any(prefix in key.decode() for key in redis.scan_iter(f"*{prefix}*"))
        # Each failure and the refusal were committed to the audit trail on their own,
        # although the refused request's transaction was rolled back.
        with app.app_context():
            kinds = db.session.scalars(
                select(AuditEntry.kind)
                .where(AuditEntry.kind.like("user.login_%"))
                .order_by(AuditEntry.id)
            ).all()
        assert kinds == ["user.login_failed"] * 5 + ["user.login_throttled"]
        app.extensions["tracker.db"].engine.dispose()
    finally:
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)
