"""The API against its own OpenAPI document, with Schemathesis: for every operation,
requests generated from the document (hypothesis), those it allows and those it does
not, sent through the app as a program would with a treasurer's token. No answer may
be a 500; every answer must match the document (its status, media type, headers and
body schema); a request the document does not allow must be refused."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import csrf_token

# Examples per operation: enough to try each parameter's edges, few enough for the suite.
EXAMPLES = 25


@pytest.fixture
def treasurer_headers(demo_app, demo_login) -> dict[str, str]:
    """Britain's treasurer's token, made on the account page."""
    client = demo_login("treasurer.gb@example.org")
    page = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(client, "/account"), "name": "schema", "days": "7"},
    ).get_data(as_text=True)
    token = re.search(r'id="new-token">(trk_[A-Za-z0-9_-]{43})<', page).group(1)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_every_operation_keeps_to_the_document(demo_app, treasurer_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    failures = []
    for operation, mode in (
        (operation, mode) for operation in operations for mode in GenerationMode
    ):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            # Every check but "a request the document allows is accepted": the document
            # cannot say which ids exist, which cursors the tracker gave, or which day
            # comes before which, and those are refused (400, 404, 409, 422) as they
            # must be.
            case.call_and_validate(
                headers=treasurer_headers, excluded_checks=[positive_data_acceptance]
            )

        try:
            check()
        except Exception as error:  # every operation's failure is listed
            failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {error}")
    assert not failures, "\n\n".join(failures)
