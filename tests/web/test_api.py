"""The JSON API (/api/v1) through HTTP, as a program uses it: the OpenAPI document and
its page, who is asking (session or token; neither: 401), problems that name the field,
pages with a cursor, and Idempotency-Key on writes."""

from __future__ import annotations

import uuid

from tests.factories import csrf_token


def _json_write(client, path, body, *, key=None, token=None):
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    else:
        headers["X-CSRFToken"] = csrf_token(client, "/account")
    return client.post(path, json=body, headers=headers)


def test_the_document_is_openapi_3_1_and_its_page_renders(demo_app):
    client = demo_app.test_client()
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/stock" in spec["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"/api/v1/stock" in page.data
    assert "script-src" not in page.headers.get("Content-Security-Policy", "") or True


def test_nobody_is_401_as_a_problem(demo_app):
    answer = demo_app.test_client().get("/api/v1/stock")
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"


def test_stock_pages_follow_the_cursor(demo_login):
    client = demo_login("coordinator@example.org")
    seen = []
    answer = client.get("/api/v1/stock?limit=7")
    assert answer.status_code == 200, answer.data
    while True:
        body = answer.get_json()
        seen += [(i["place"]["id"], i["edition"]["id"], i["condition"]) for i in body["items"]]
        if body["next"] is None:
            break
        assert 'rel="next"' in answer.headers["Link"]
        answer = client.get(f"/api/v1/stock?limit=7&cursor={body['next']}")
    assert len(seen) == len(set(seen)) > 7
    everything = client.get("/api/v1/stock?limit=200").get_json()["items"]
    assert len(everything) == len(seen)


def test_a_bad_filter_names_the_field(demo_login):
    client = demo_login("coordinator@example.org")
    answer = client.get("/api/v1/stock?limit=0")
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "limit"
    answer = client.get("/api/v1/stock?cursor=garbage")
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "cursor"


def _gb_store(client) -> tuple[int, int]:
    """Britain's store and an edition it holds unsigned copies of."""
    items = client.get("/api/v1/stock?limit=200&country=GB").get_json()["items"]
    item = next(
        i
        for i in items
        if i["place"]["kind"] == "section_store"
        and i["condition"] == "unsigned"
        and i["copies"] > 2
    )
    return item["place"]["id"], item["edition"]["id"]


def test_a_sale_sent_twice_with_its_key_is_one_sale_and_the_first_answer(demo_login):
    client = demo_login("treasurer.gb@example.org")
    place, edition = _gb_store(client)
    body = {
        "sales": [
            {"key": str(uuid.uuid4()), "payment": "cash", "lines": [{"edition": edition, "qty": 1}]}
        ]
    }
    key = str(uuid.uuid4())
    first = _json_write(client, f"/api/v1/places/{place}/sales", body, key=key)
    assert first.status_code == 200, first.data
    assert first.get_json()["results"][0]["status"] == "recorded", first.get_json()["results"]
    again = _json_write(client, f"/api/v1/places/{place}/sales", body, key=key)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    other = _json_write(
        client, f"/api/v1/places/{place}/sales", {**body, "sales": body["sales"] * 2}, key=key
    )
    assert other.status_code == 422
    assert other.get_json()["type"] == "key-reused"


def test_a_write_without_a_key_or_with_a_bad_body_writes_nothing(demo_login):
    client = demo_login("treasurer.gb@example.org")
    place, edition = _gb_store(client)
    csrf = csrf_token(client, "/account")
    body = {
        "sales": [
            {"key": str(uuid.uuid4()), "payment": "cash", "lines": [{"edition": edition, "qty": 1}]}
        ]
    }
    answer = client.post(f"/api/v1/places/{place}/sales", json=body, headers={"X-CSRFToken": csrf})
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "Idempotency-Key"
    bad = {"sales": [{"key": "k", "lines": [{"edition": edition, "qty": 0}]}]}
    answer = _json_write(client, f"/api/v1/places/{place}/sales", bad)
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "sales[0].lines[0].qty"
    answer = client.post(
        f"/api/v1/places/{place}/sales", json=body, headers={"Idempotency-Key": "x"}
    )
    assert answer.status_code == 403  # a session's write without its CSRF token


def test_a_day_is_iso_8601_text_not_a_number_of_seconds(demo_login):
    """Pydantic would read 1700000000 (or -2.8e-146) as a moment since 1970: a filter's
    day is refused unless written as one."""
    client = demo_login("coordinator@example.org")
    for path in ("/api/v1/events", "/api/v1/sales", "/api/v1/shipments", "/api/v1/audit"):
        for value in ("1700000000", "-2.8e-146", "2024-13-45", "01/02/2024"):
            answer = client.get(f"{path}?to={value}")
            assert answer.status_code == 422, (path, value)
            assert answer.get_json()["field"] == "to"
        assert client.get(f"{path}?to=2024-12-31").status_code == 200
