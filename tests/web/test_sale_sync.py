"""``POST /places/<id>/sales``: batches of keyed sales as a phone's outbox sends them,
their answers sale by sale, and the problems of a whole request (RFC 9457)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import World, csrf_token, snapshot
from tests.web.forms import page, send
from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.models import Document, Sale
from tracker.services import events
from tracker.web.events.sync import MAX_BATCH

PROBLEM = "application/problem+json"
# When the copies reached the table: before anything the tests date.
ARRIVED = utcnow() - timedelta(days=1)


@pytest.fixture
def launch(world: World, session, login):
    """Britain's launch with 10 copies (£25) on its table since yesterday; its
    treasurer logged in."""
    world.stocked(100)
    event = world.launch({world.edition: 10}, at=ARRIVED)
    session.commit()
    return {
        "world": world,
        "event": event.id,
        "table": event.location_id,
        "url": f"/places/{event.location_id}/sales",
        "treasurer": login(Role.TREASURER, "GB"),
    }


def _sale(world: World, qty: int = 1, **changes) -> dict:
    return {
        "key": str(uuid.uuid4()),
        "payment": "cash",
        "lines": [{"edition": world.edition.id, "condition": "unsigned", "qty": qty}],
        **changes,
    }


def _post(client, url: str, body: object, *, token: bool = True, raw: str | None = None):
    headers = {"Accept": "application/json"}
    if token:
        headers["X-CSRFToken"] = csrf_token(client, "/")
    if raw is not None:
        return client.post(url, data=raw, headers=headers, content_type="application/json")
    return client.post(url, json=body, headers=headers)


def _sales(session) -> int:
    return session.scalar(select(func.count()).select_from(Sale))


def _problem(response, status: int, problem_type: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["type"] == problem_type and body["status"] == status
    assert body["title"] and body["detail"]
    return body


def test_a_batch_recorded_then_sent_again(launch, session):
    world, t = launch["world"], launch["treasurer"]
    batch = [_sale(world) for _ in range(4)]
    batch.append(_sale(world, 2, tendered="60.00", buyer="Sam", made_at=utcnow().isoformat()))
    response = _post(t, launch["url"], {"sales": batch})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == ["recorded"] * 5
    assert [r["key"] for r in body["results"]] == [s["key"] for s in batch]
    last = body["results"][4]["sale"]
    assert last["total"] == "50.00" and last["currency"] == "GBP" and last["copies"] == 2
    assert last["tendered"] == "60.00" and last["change"] == "10.00"
    assert last["text"] == "2 × In Defence of Lenin (English paperback), £50.00, cash"
    assert last["sold_at"].endswith("Z") and last["voided"] is False
    assert body["results"][0]["sale"]["change"] is None
    assert body["stock"] == {f"{world.edition.id}:unsigned": 4}
    assert body["tally"] == {
        "sales": 5,
        "copies": 6,
        "total": "150.00",
        "total_text": "£150.00",
        "currency": "GBP",
        "takings": {"cash": "150.00", "card": "0.00", "bank_transfer": "0.00", "other": "0.00"},
    }
    # The latest recorded (the batch's sales made now, after the one dated).
    assert (
        body["last"]["id"]
        == body["results"][3]["sale"]["id"]
        == max(r["sale"]["id"] for r in body["results"])
    )
    assert body["last"]["text"] == body["results"][3]["sale"]["text"]
    assert body["last"]["undo_until"].endswith("Z")
    assert _sales(session) == 5

    before = snapshot(session)
    again = _post(t, launch["url"], {"sales": batch}).get_json()
    assert [r["status"] for r in again["results"]] == ["already_recorded"] * 5
    assert [r["sale"]["id"] for r in again["results"]] == [r["sale"]["id"] for r in body["results"]]
    assert again["stock"] == body["stock"] and again["tally"] == body["tally"]
    assert snapshot(session) == before and _sales(session) == 5


def test_a_key_sent_again_with_another_sale_is_refused(launch, session):
    world, t = launch["world"], launch["treasurer"]
    sale = _sale(world)
    _post(t, launch["url"], {"sales": [sale]})
    before = snapshot(session)
    body = _post(t, launch["url"], {"sales": [{**sale, "payment": "card"}]}).get_json()
    (result,) = body["results"]
    assert result["status"] == "refused" and result["key"] == sale["key"]
    assert result["error"] == {
        "type": "key-reused",
        "title": "Key already used",
        "status": 409,
        "detail": "This key was already used for a different sale.",
        "field": "sales[0]",
    }
    assert snapshot(session) == before and _sales(session) == 1


def test_refused_sales_name_the_value_and_the_others_are_recorded(launch, session):
    world, t = launch["world"], launch["treasurer"]
    ed = world.edition.id
    future = (utcnow() + timedelta(hours=1)).isoformat()
    batch = [
        _sale(world, made_at=future),
        _sale(world, lines=[{"edition": 999_999, "qty": 1}]),
        _sale(world, lines=[{"edition": ed, "qty": 1}, {"edition": ed, "qty": 0}]),
        _sale(world, lines=[{"edition": ed, "qty": 1, "price": "abc"}]),
        _sale(world, made_at="yesterday"),
        _sale(world, made_at="2026-12-01T10:15:30"),
        _sale(world, lines=[{"edition": "twelve", "qty": 1}]),
        _sale(world, tendered="20", lines=[{"edition": ed, "qty": 1}]),
        _sale(world, key="123"),
        _sale(world, buyer=["Sam"]),
        _sale(world, lines="everything"),
        _sale(world),
    ]
    body = _post(t, launch["url"], {"sales": batch}).get_json()
    refused = [(r["error"]["field"], r["error"]["type"]) for r in body["results"][:-1]]
    assert refused == [
        ("sales[0].made_at", "invalid"),
        ("sales[1].lines[0].edition", "invalid"),
        ("sales[2].lines[1].qty", "invalid"),
        ("sales[3].lines[0].price", "invalid"),
        ("sales[4].made_at", "invalid"),
        ("sales[5].made_at", "invalid"),
        ("sales[6].lines[0].edition", "invalid"),
        ("sales[7].tendered", "invalid"),
        ("sales[8].key", "invalid"),
        ("sales[9].buyer", "invalid"),
        ("sales[10].lines", "invalid"),
    ]
    details = [r["error"]["detail"] for r in body["results"][:-1]]
    assert "is in the future" in details[0]
    assert details[1] == "There is no edition 999999."
    assert "the quantity must be at least 1, not 0" in details[2]
    assert "'abc' is not an amount of money" in details[3]
    assert "is not a moment: write it in ISO 8601" in details[4]
    assert "says no offset from UTC" in details[5]
    assert "is not an id" in details[6]
    assert details[7] == "£20.00 handed over is less than the £25.00 to pay."
    assert "is not a key" in details[8]
    assert body["results"][-1]["status"] == "recorded"
    assert _sales(session) == 1


def test_the_last_copies_go_to_the_sales_made_first(launch, session):
    """Eight copies sold; a phone sends three sales of one copy: the two made first are
    recorded, the last made is refused with what the table held, and writes nothing."""
    world, t = launch["world"], launch["treasurer"]
    _post(t, launch["url"], {"sales": [_sale(world, 8)]})
    now = utcnow()
    batch = [_sale(world, made_at=(now - timedelta(minutes=m)).isoformat()) for m in (1, 30, 20)]
    body = _post(t, launch["url"], {"sales": batch}).get_json()
    assert [r["status"] for r in body["results"]] == ["refused", "recorded", "recorded"]
    error = body["results"][0]["error"]
    assert error["type"] == "insufficient-stock" and error["status"] == 409
    assert "Not enough stock at London launch" in error["detail"]
    assert "0 copies there, 1 asked" in error["detail"]
    assert body["stock"] == {f"{world.edition.id}:unsigned": 0}
    assert _sales(session) == 3


def test_a_sale_made_before_the_copies_came_is_not_there(launch, session):
    world, t = launch["world"], launch["treasurer"]
    made = (ARRIVED - timedelta(hours=3)).isoformat()
    body = _post(t, launch["url"], {"sales": [_sale(world, made_at=made)]}).get_json()
    error = body["results"][0]["error"]
    assert error["type"] == "not-there" and error["field"] == "sales[0]"
    assert "Only 0 unsigned copies of" in error["detail"]
    assert _sales(session) == 0


def test_a_closed_events_table_refuses_each_sale(launch, session):
    world, t = launch["world"], launch["treasurer"]
    events.close_event(session, None, launch["event"])
    session.commit()
    body = _post(t, launch["url"], {"sales": [_sale(world)]}).get_json()
    assert body["results"][0]["error"]["type"] == "closed"
    assert "London launch is closed" in body["results"][0]["error"]["detail"]


def test_another_sections_place_is_not_found(launch, session, login):
    world = launch["world"]
    swede = login(Role.TREASURER, "SE")
    body = _problem(_post(swede, launch["url"], {"sales": [_sale(world)]}), 404, "not-found")
    assert "London" not in json.dumps(body)
    t = launch["treasurer"]
    _problem(_post(t, "/places/999999/sales", {"sales": []}), 404, "not-found")
    _problem(_post(t, f"/places/{world.loc('WH').id}/sales", {"sales": []}), 404, "not-found")
    assert _sales(session) == 0


def test_an_empty_batch_answers_the_place_as_it_is(launch):
    body = _post(launch["treasurer"], launch["url"], {"sales": []}).get_json()
    assert body["results"] == [] and body["last"] is None
    assert body["stock"] == {f"{launch['world'].edition.id}:unsigned": 10}


def test_not_logged_in_is_401_not_the_login_page(launch, app, session):
    response = _post(app.test_client(), launch["url"], {"sales": []}, token=False)
    body = _problem(response, 401, "unauthenticated")
    assert body["login"] == "/login"
    assert response.headers["WWW-Authenticate"].startswith("Cookie")
    assert "Location" not in response.headers


def test_a_session_that_ended_is_401(launch, app, session):
    t = launch["treasurer"]
    token = csrf_token(t, "/")
    app.config["SESSION_LIFETIME"] = timedelta(seconds=0)
    response = t.post(launch["url"], json={"sales": []}, headers={"X-CSRFToken": token})
    body = _problem(response, 401, "unauthenticated")
    assert "Your session has ended" in body["detail"]


def test_a_password_to_change_first_is_403(launch, session):
    t = launch["treasurer"]
    token = csrf_token(t, "/")
    t.user.must_change_password = True
    session.commit()
    response = t.post(launch["url"], json={"sales": []}, headers={"X-CSRFToken": token})
    _problem(response, 403, "password-change")


def test_without_the_csrf_token_is_403(launch, session):
    before = snapshot(session)
    world, t = launch["world"], launch["treasurer"]
    response = _post(t, launch["url"], {"sales": [_sale(world)]}, token=False)
    body = _problem(response, 403, "csrf")
    assert "CSRF token is missing" in body["detail"]
    response = t.post(
        launch["url"], json={"sales": [_sale(world)]}, headers={"X-CSRFToken": "forged"}
    )
    _problem(response, 403, "csrf")
    assert snapshot(session) == before


def test_only_those_who_sell_may_send_sales(launch, session, login):
    client = login(Role.DISTRIBUTOR)
    _problem(_post(client, launch["url"], {"sales": []}), 403, "forbidden")


@pytest.mark.parametrize("count", [MAX_BATCH + 1, 10_000])
def test_too_many_sales_at_once_is_413_and_nothing_is_written(launch, session, count):
    world = launch["world"]
    before = snapshot(session)
    sale = {"payment": "cash", "lines": [{"edition": world.edition.id, "qty": 1}]}
    batch = [{**sale, "key": uuid.uuid4().hex} for _ in range(count)]
    response = _post(launch["treasurer"], launch["url"], {"sales": batch})
    body = _problem(response, 413, "too-large")
    assert f"send at most {MAX_BATCH} at a time" in body["detail"]
    assert body["max_batch"] == MAX_BATCH
    assert snapshot(session) == before and _sales(session) == 0


def test_a_body_larger_than_the_tracker_takes_is_413(launch, app, session):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = _post(launch["treasurer"], launch["url"], None, raw=" " * (limit + 1))
    body = _problem(response, 413, "too-large")
    assert f"{limit:,} bytes at most" in body["detail"]


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ('{"sales": [', "is not JSON"),
        ("[" * 100_000, "is not JSON"),
        ('{"sales": [{"qty": NaN}]}', "is not JSON"),
        ("\xff", "is not JSON"),
        ("[]", 'Send {"sales": [...]}'),
        ('{"sale": []}', 'Send {"sales": [...]}'),
        ('{"sales": {"key": "x"}}', 'Send {"sales": [...]}'),
        ('{"sales": [{}, 5]}', "sales[1] is not an object"),
    ],
)
def test_a_request_that_is_not_a_batch_is_400(launch, session, raw, detail):
    before = snapshot(session)
    body = _problem(_post(launch["treasurer"], launch["url"], None, raw=raw), 400, "invalid")
    assert detail in body["detail"]
    assert snapshot(session) == before


def test_a_form_is_not_json(launch):
    t = launch["treasurer"]
    response = t.post(launch["url"], data={"csrf_token": csrf_token(t, "/"), "sales": "x"})
    assert "Content-Type: application/json" in _problem(response, 400, "invalid")["detail"]


def test_undo_on_the_screen_only_within_five_minutes(launch, session):
    world, t = launch["world"], launch["treasurer"]
    body = _post(t, launch["url"], {"sales": [_sale(world, 2)]}).get_json()
    sale_id = body["last"]["id"]
    session.execute(
        update(Document)
        .where(Document.id == sale_id)
        .values(created_at=utcnow() - timedelta(minutes=6))
    )
    session.commit()
    response = t.post(
        f"/events/{launch['event']}/undo",
        data={"csrf_token": csrf_token(t, "/"), "sale_id": sale_id},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "more than 5 minutes ago" in text and "Void it instead" in text
    assert session.get(Sale, sale_id).voided_at is None


def test_closing_with_the_cash_counted_shows_over_or_short(launch, session):
    world, t = launch["world"], launch["treasurer"]
    _post(t, launch["url"], {"sales": [_sale(world, 2)]})  # £50 in cash
    event_page = f"/events/{launch['event']}/close"  # the close asks first
    response = send(t, event_page, {"counted_cash": "abc"}, follow=True)
    assert "Cash counted: &#39;abc&#39; is not an amount" in response.get_data(as_text=True)
    response = send(t, event_page, {"counted_cash": "x" * 21})
    assert response.status_code == 422
    response = send(t, event_page, {"counted_cash": "52.50"}, follow=True)
    assert "is closed" in response.get_data(as_text=True)
    report = page(t, f"/events/{launch['event']}/report")
    cash = report.find(id="cash").get_text(" ", strip=True)
    assert "Cash takings £50.00" in cash and "Cash counted at the close £52.50" in cash
    assert "Over £2.50" in cash
    exported = t.get(f"/events/{launch['event']}/report?format=csv").get_data(as_text=True)
    assert "cash counted,,52.50" in exported and "cash over or short,,2.50" in exported


def test_a_phone_clock_a_little_ahead_sells_now(launch, session):
    """A phone whose clock runs two minutes ahead: its sale was made now, not refused as
    made in the future (ten minutes ahead still is)."""
    world, t = launch["world"], launch["treasurer"]
    ahead = (utcnow() + timedelta(minutes=2)).isoformat()
    far = (utcnow() + timedelta(minutes=10)).isoformat()
    body = _post(t, launch["url"], {"sales": [_sale(world, made_at=ahead)]}).get_json()
    (result,) = body["results"]
    assert result["status"] == "recorded"
    assert datetime.fromisoformat(result["sale"]["sold_at"]) <= utcnow()
    body = _post(t, launch["url"], {"sales": [_sale(world, made_at=far)]}).get_json()
    assert body["results"][0]["error"]["field"] == "sales[0].made_at"
