"""The API against its own OpenAPI document, with Schemathesis: for every operation,
requests generated from the document (hypothesis), those it allows and those it does
not, sent through the app as a program would, with an admin's token and with a
treasurer's. No answer may be a 500; every answer must match the document (its status,
media type, headers and body schema); a request the document does not allow must be
refused.

The document cannot say which ids exist: allowed requests take, half of the time, the
id of a real place, event, shipment or section of the demo (Britain's, which the
treasurer may see, and Sweden's, which they may not), so that operations are tried on
records and not only answered 404."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.factories import csrf_token

# Examples per operation, mode and person: enough to try each parameter's edges, few
# enough for the suite.
EXAMPLES = 10


def _token(demo_login, email: str) -> str:
    """A token made on the account page, as its owner would make it."""
    client = demo_login(email)
    page = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(client, "/account"), "name": "schema", "days": "7"},
    ).get_data(as_text=True)
    return re.search(r'id="new-token">(trk_[A-Za-z0-9_-]{43})<', page).group(1)


def _real_ids(client) -> dict[str, list[int]]:
    """Ids of real records, by the name of the path parameter that takes them."""

    def ids(path: str, country: str, pick=lambda item: True) -> list[int]:
        items = client.get(f"{path}?limit=200").get_json()["items"]
        return [i["id"] for i in items if _country(i) == country and pick(i)][:3]

    sections = {s["country"]: s["id"] for s in client.get("/api/v1/sections").get_json()["items"]}
    found: dict[str, list[int]] = {"section": [sections["GB"], sections["SE"]]}
    for country in ("GB", "SE"):
        found.setdefault("place", []).extend(ids("/api/v1/places", country))
        found.setdefault("event", []).extend(ids("/api/v1/events", country))
        found.setdefault("shipment", []).extend(ids("/api/v1/shipments", country))
    stock = client.get("/api/v1/stock?limit=200&country=GB").get_json()["items"]
    found["edition"] = sorted({item["edition"]["id"] for item in stock})[:3]
    return found


# Fields of bodies that name records, by the kind of record they name.
_BODY_IDS = {"section": "section", "from": "place", "to": "place", "place": "place"}
_LARGEST_ID = 2**31 - 1


def _with_real_ids(schema, real: dict[str, list[int]]) -> None:
    """Bodies that name records by ids the document allows name, half of the time,
    real ones (an id the document would not allow is left as it is: a request meant
    to be refused stays refused)."""

    def real_or_not(value: object, kind: str) -> st.SearchStrategy:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _LARGEST_ID:
            return st.sampled_from([value, *real[kind]])
        return st.just(value)

    @schema.hook
    def flatmap_body(context, body):
        if not isinstance(body, dict):
            return st.just(body)
        parts = {
            name: real_or_not(value, _BODY_IDS[name])
            for name, value in body.items()
            if name in _BODY_IDS
        }
        lines = body.get("lines")
        if isinstance(lines, list):
            parts["lines"] = st.tuples(
                *[
                    st.fixed_dictionaries(
                        {
                            **{k: st.just(v) for k, v in line.items()},
                            "edition": real_or_not(line["edition"], "edition"),
                        }
                    )
                    if isinstance(line, dict) and "edition" in line
                    else st.just(line)
                    for line in lines
                ]
            ).map(list)
        return st.fixed_dictionaries({**{k: st.just(v) for k, v in body.items()}, **parts})


def _country(item: dict) -> str | None:
    for key in ("section", "place", "destination"):
        value = item.get(key)
        if isinstance(value, dict):
            if "country" in value:
                return value["country"]
            if isinstance(value.get("section"), dict):
                return value["section"].get("country")
    return None


@pytest.mark.slow
def test_every_operation_keeps_to_the_document(demo_app, demo_login):
    people = {
        email: {"Authorization": f"Bearer {_token(demo_login, email)}"}
        for email in ("admin@example.org", "treasurer.gb@example.org")
    }
    admin = demo_app.test_client(use_cookies=False)
    admin.environ_base["HTTP_AUTHORIZATION"] = people["admin@example.org"]["Authorization"]
    real = _real_ids(admin)
    assert all(real.values()), real
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    _with_real_ids(schema, real)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    failures = []
    for operation in operations:
        for mode in GenerationMode:
            for email, headers in people.items():
                try:
                    _check(operation, mode, headers, real)
                except Exception as error:  # every operation's failure is listed
                    failures.append(
                        f"{operation.method.upper()} {operation.path} ({mode}, {email}): {error}"
                    )
    assert not failures, "\n\n".join(failures)


def _check(operation, mode, headers, real) -> None:
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case, data):
        if mode is GenerationMode.POSITIVE:
            for name in case.path_parameters or {}:
                if name in real and data.draw(st.booleans()):
                    case.path_parameters[name] = data.draw(st.sampled_from(real[name]))
        # Every check but "a request the document allows is accepted": the document
        # cannot say which ids exist, which cursors the tracker gave, or which day comes
        # before which, and those are refused (400, 404, 409, 422) as they must be.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()


@pytest.mark.slow
def test_the_documents_links_can_be_followed(demo_app, demo_login):
    """Stateful: Schemathesis chains operations by the document's links (a shipment
    drafted, then read, dispatched, cancelled or received with the id it answered; a
    transfer or write-off made, then read), as an admin; every step keeps to the
    document and none is a 500."""
    token = _token(demo_login, "admin@example.org")
    admin = demo_app.test_client(use_cookies=False)
    admin.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", demo_app)
    _with_real_ids(schema, _real_ids(admin))

    @schema.auth()
    class Token:
        """The admin's token, as Schemathesis's own way of authenticating (its checks
        then know the credentials are real, and try the operations without them)."""

        def get(self, case, context):
            return token

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    class Walk(schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

    Walk.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
