"""The API against its own OpenAPI document, with Schemathesis: for every operation,
requests generated from the document (hypothesis), sent through the app as a program
would; no answer may be a 500, and every answer must match the document (its status,
media type, headers and body schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.factories import csrf_token, log_in

# Examples per operation: enough to try each parameter's edges, few enough for the suite.
EXAMPLES = 25


@pytest.fixture
def treasurer_headers(demo_app) -> dict[str, str]:
    client = demo_app.test_client()
    log_in(client, "treasurer.gb@example.org")
    token = csrf_token(client, "/account")
    name = demo_app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    return {"Cookie": f"{name}={cookie.value}", "X-CSRFToken": token}


@pytest.mark.slow
def test_every_operation_keeps_to_the_document(demo_app, treasurer_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(headers=treasurer_headers)

        try:
            check()
        except Exception as error:  # every operation's failure is listed
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)
