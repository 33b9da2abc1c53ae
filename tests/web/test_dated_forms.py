"""Every form that makes a document moving copies or money says when it happened: a
past date dates the document and its moves (while it is recorded now), the future and
values that are no date are refused on the field with its name, and empty is now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import STOCKED_AT, World, snapshot
from tests.web.forms import errors, form_values, line_index, page, send
from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.models import (
    Author,
    ClosedMonth,
    Document,
    Event,
    Move,
    Remittance,
    Sale,
    Section,
    Shipment,
)
from tracker.services import events, movements, sales, shipments
from tracker.services import receipts as receipts_service

# What the tests date things at: the day's last second for a day, the minute for a
# moment (UTC). Everything the scene holds happened before.
PAST_DAY = "2024-03-01"
PAST_DAY_AT = datetime(2024, 3, 1, 23, 59, 59, tzinfo=UTC)
PAST_MOMENT = "2024-03-01T10:30"
PAST_MOMENT_AT = datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
SET_UP_AT = datetime(2024, 1, 10, 9, tzinfo=UTC)


@pytest.fixture
def scene(world: World, session, login):
    """Britain's store holds 100 copies since 2020 and the warehouse 500; an event whose
    table got 20 copies on 10 January 2024 and sold 2 there; a draft shipment to
    Britain; a sale-or-return shipment received in January 2024 and a draft return of
    it."""
    world.stocked(100)
    world.post("print_run", 500, "PRINTER", "WH", at=STOCKED_AT)
    store = world.loc("GB-STORE")
    gb = store.section_id
    event = events.create_event(
        session,
        None,
        gb,
        events.EventDetails(name="Launch", kind="launch", starts_on=date(2024, 1, 10)),
    )
    movements.transfer(
        session,
        None,
        from_location_id=store.id,
        to_location_id=event.location_id,
        lines=[movements.Copies(world.edition.id, 20)],
        when=SET_UP_AT,
    )
    sale = sales.sell(
        session,
        None,
        location_id=event.location_id,
        items=[sales.SaleItem(world.edition.id, 2, unit_price="10")],
        payment_method="cash",
        when=SET_UP_AT + timedelta(hours=2),
    )
    draft = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        lines=[shipments.LineInput(world.edition.id, 10, "5")],
    )
    on_its_way = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        lines=[shipments.LineInput(world.edition.id, 30, "5")],
        terms="sale_or_return",
    )
    shipments.dispatch(session, None, on_its_way.id, when=date(2024, 1, 5))
    received = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        lines=[shipments.LineInput(world.edition.id, 30, "5")],
        terms="sale_or_return",
    )
    shipments.dispatch(session, None, received.id, when=date(2024, 1, 5))
    receipts_service.receive(
        session,
        None,
        received.id,
        [receipts_service.ReceiptInput(received.lines[0].id, received=30)],
        when=date(2024, 1, 8),
    )
    back = shipments.create(
        session,
        None,
        direction="return",
        section_id=gb,
        lines=[shipments.LineInput(world.edition.id, 5, None)],
    )
    session.commit()
    return {
        "world": world,
        "gb": gb,
        "store": store.id,
        "event": event.id,
        "table": event.location_id,
        "sale": sale.id,
        "draft": draft.id,
        "in_transit": on_its_way.id,
        "return": back.id,
        "treasurer": login(Role.TREASURER, "GB"),
        "staff": login(Role.DISTRIBUTOR),
    }


@dataclass
class Case:
    """A form that makes a dated document: who sends it, where, its date field (its
    name and label), whether it takes a moment or a day, and what else it needs."""

    name: str
    role: str
    url: Callable[[dict], str]
    field: str
    label: str
    moment: bool
    values: Callable[[dict], dict] = lambda s: {}
    lines: Callable[[dict], dict] = lambda s: {}
    action: str | None = None
    selector: str | None = None
    # What the record itself says of when it happened.
    recorded: Callable[[object, dict], datetime | date | None] | None = None
    extra: dict = field(default_factory=dict)
    # What the page answers when it is recorded: the sale screen comes back for the
    # next sale, the rest go to what they made.
    done: int = 302


def _one_copy(s: dict) -> dict:
    return {(s["world"].edition.id, "unsigned"): {"qty": 1}}


def _authors(session) -> list[int]:
    return list(session.scalars(select(Author.id).order_by(Author.id)))


def _newest(session, model):
    return session.scalars(select(model).order_by(model.document_id.desc()).limit(1)).first()


CASES = [
    Case(
        "print run",
        "staff",
        lambda s: "/print-runs/new",
        "received_on",
        "Delivered on",
        moment=False,
        values=lambda s: {"edition_id": s["world"].edition.id, "qty": 40, "reference": "Run 7"},
    ),
    Case(
        "dispatch",
        "staff",
        lambda s: f"/shipments/{s['draft']}",
        "dispatched_on",
        "Dispatched on",
        moment=False,
        action="dispatch",
        recorded=lambda session, s: session.get(Shipment, s["draft"]).dispatched_at,
    ),
    Case(
        "dispatch of a return",
        "treasurer",
        lambda s: f"/shipments/{s['return']}",
        "dispatched_on",
        "Dispatched on",
        moment=False,
        action="dispatch",
        recorded=lambda session, s: session.get(Shipment, s["return"]).dispatched_at,
    ),
    Case(
        "receipt",
        "treasurer",
        lambda s: f"/shipments/{s['in_transit']}/receive",
        "received_on",
        "Received on",
        moment=False,
        recorded=lambda session, s: session.get(Shipment, s["in_transit"]).received_at,
    ),
    Case(
        "transfer",
        "treasurer",
        lambda s: "/transfers/new",
        "moved_at",
        "Moved at",
        moment=True,
        values=lambda s: {"from_location_id": s["store"], "to_location_id": s["table"]},
        lines=_one_copy,
    ),
    Case(
        "write-off",
        "treasurer",
        lambda s: f"/write-offs/new?location={s['store']}",
        "written_off_on",
        "Written off on",
        moment=False,
        values=lambda s: {"reason": "gift"},
        lines=_one_copy,
    ),
    Case(
        "stocktake",
        "treasurer",
        lambda s: f"/stocktakes/new?location_id={s['store']}",
        "counted_on",
        "Counted on",
        moment=False,
        values=lambda s: {"reason": "one copy fewer on the shelf"},
        extra={"counted": True},
    ),
    Case(
        "signing",
        "treasurer",
        lambda s: f"/events/{s['event']}/signing",
        "signed_at",
        "Signed at",
        moment=True,
        values=lambda s: {"edition_id": s["world"].edition.id, "qty": 3},
        extra={"authors": True},
    ),
    Case(
        "closing an event",
        "treasurer",
        lambda s: f"/events/{s['event']}/close",
        "closed_at",
        "Closed at",
        moment=True,
        action="/close",
        recorded=lambda session, s: session.get(Event, s["event"]).closed_at,
    ),
    Case(
        "void",
        "treasurer",
        lambda s: f"/sales/{s['sale']}/void",
        "voided_at",
        "Voided at",
        moment=True,
        values=lambda s: {"reason": "typed twice"},
        recorded=lambda session, s: session.get(Sale, s["sale"]).voided_at,
    ),
    Case(
        "remittance",
        "treasurer",
        lambda s: "/remittances/new",
        "sent_on",
        "Sent on",
        moment=False,
        values=lambda s: {"amount": "25", "currency": "GBP"},
        recorded=lambda session, s: _newest(session, Remittance).sent_on,
    ),
    Case(
        "sale",
        "treasurer",
        lambda s: f"/events/{s['event']}/sell",
        "sold_at",
        "Sold at",
        moment=True,
        values=lambda s: {"item": f"{s['world'].edition.id}:unsigned", "qty": 1, "price": "10"},
        selector="form.sale-form",
        recorded=lambda session, s: _newest(session, Sale).sold_at,
        done=200,
    ),
]


def _post(scene: dict, session, case: Case, value: str | None):
    client = scene[case.role]
    url = case.url(scene)
    values = dict(case.values(scene))
    if value is not None:
        values[case.field] = value
    if case.extra.get("authors"):
        values["authors"] = _authors(session)[0]
    lines = case.lines(scene)
    if case.extra.get("counted"):
        form = page(client, url).select("main form[method=post]")[-1]
        index = line_index(form, scene["world"].edition.id, "unsigned")
        values[f"lines-{index}-counted"] = 99
    return send(client, url, values, lines=lines, action=case.action, selector=case.selector)


def _high_water(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.coalesce(func.max(Document.id), 0))),
        session.scalar(select(func.coalesce(func.max(Move.id), 0))),
    )


def _made(session, since: tuple[int, int]) -> tuple[list[Document], list[Move]]:
    session.expire_all()
    documents = list(session.scalars(select(Document).where(Document.id > since[0])))
    moves = list(session.scalars(select(Move).where(Move.id > since[1])))
    return documents, moves


def _near_now(moment: datetime) -> bool:
    return abs(utcnow() - moment) < timedelta(minutes=5)


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_a_past_date_dates_the_document_and_its_moves(scene, session, case):
    since = _high_water(session)
    response = _post(scene, session, case, PAST_MOMENT if case.moment else PAST_DAY)
    assert response.status_code == case.done, errors(response)
    expected = PAST_MOMENT_AT if case.moment else PAST_DAY_AT
    documents, moves = _made(session, since)
    assert documents or moves
    for document in documents:
        assert document.occurred_at == expected, (document.kind, document.occurred_at)
        assert _near_now(document.created_at), document.created_at
    for move in moves:
        assert move.occurred_at == expected, (move.kind, move.occurred_at)
        assert _near_now(move.created_at)
    if case.recorded is not None:
        said = case.recorded(session, scene)
        assert said == (expected if isinstance(said, datetime) else expected.date())


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_empty_is_now(scene, session, case):
    since = _high_water(session)
    # A remittance always has its day: the form's own, today.
    response = _post(scene, session, case, "" if case.name != "remittance" else None)
    assert response.status_code == case.done, errors(response)
    documents, moves = _made(session, since)
    assert documents or moves
    for document in documents:
        assert _near_now(document.occurred_at) and _near_now(document.created_at)
    for move in moves:
        assert _near_now(move.occurred_at)


def test_a_remittance_needs_its_day(scene, session):
    case = next(c for c in CASES if c.name == "remittance")
    before = snapshot(session)
    response = _post(scene, session, case, "")
    assert response.status_code == 422 and "Give the date." in errors(response)
    assert snapshot(session) == before


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_the_future_is_refused_on_the_field(scene, session, case):
    later = utcnow() + timedelta(days=2)
    value = later.strftime("%Y-%m-%dT%H:%M" if case.moment else "%Y-%m-%d")
    before = snapshot(session)
    response = _post(scene, session, case, value)
    assert response.status_code == 422
    said = errors(response)
    assert any(m.startswith(f"{case.label}:") and "is in the future" in m for m in said), said
    assert snapshot(session) == before


GARBAGE = ["2024-13-45", "x" * 5000, "\x00", "2024-02-30T10:00", "١٢٠٢٤-٠١-٠١"]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_a_value_that_is_no_date_is_refused_with_the_fields_name(scene, session, case):
    before = snapshot(session)
    for value in [*GARBAGE, "1899-12-31T10:00" if case.moment else "1899-12-31"]:
        response = _post(scene, session, case, value)
        assert 400 <= response.status_code < 500, (value[:20], response.status_code)
        said = errors(response)
        assert any(m.startswith(case.label) for m in said), (value[:20], said)
    assert snapshot(session) == before


def test_the_date_field_is_folded_away_where_most_things_happen_now(scene):
    """Where a document is nearly always made as it happens, its date is in a folded
    block; where a date is usually typed, it is a field of its own."""
    folded = {
        "dispatch",
        "dispatch of a return",
        "transfer",
        "write-off",
        "signing",
        "closing an event",
        "void",
        "sale",
    }
    for case in CASES:
        soup = page(scene[case.role], case.url(scene))
        element = soup.find(attrs={"name": case.field})
        assert element is not None, case.name
        assert element.get("type") == ("datetime-local" if case.moment else "date"), case.name
        details = element.find_parent("details")
        assert (details is not None) == (case.name in folded), case.name
        if details is not None:
            assert not details.has_attr("open"), case.name
            assert "earlier?" in details.find("summary").get_text()
        if case.moment:
            assert "UTC" in element.find_parent("label").get_text()


def test_the_sale_screen_keeps_its_button_where_it_was(scene):
    soup = page(scene["treasurer"], f"/events/{scene['event']}/sell")
    form = soup.select_one("form.sale-form")
    button = form.find("button", class_="record")
    details = form.find("input", attrs={"name": "sold_at"}).find_parent("details")
    # The folded date comes after the Record button, never between the fields and it.
    assert button in details.find_all_previous("button")
    assert form_values(form)["sold_at"] == ""


def test_a_sale_sent_by_the_screens_script_is_dated_when_it_was_sold(scene, session):
    treasurer = scene["treasurer"]
    url = f"/events/{scene['event']}/sell"
    data = {
        **form_values(page(treasurer, url).select_one("form.sale-form")),
        "item": f"{scene['world'].edition.id}:unsigned",
        "qty": "2",
        "price": "10",
        "sold_at": "2024-02-01T16:45",
    }
    response = treasurer.post(url, data=data, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["ok"] and "(sold 01 Feb 2024 16:45 UTC)" in answer["message"]
    sale = session.get(Sale, answer["last_id"])
    assert sale.sold_at == datetime(2024, 2, 1, 16, 45, tzinfo=UTC)
    assert _near_now(sale.document.created_at)
    assert {m.occurred_at for m in sale.document.moves} == {sale.sold_at}

    # The script's refusals name the field too.
    before = snapshot(session)
    data["submission_key"] = answer["next_key"]
    for value in ("2024-13-45T10:00", (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")):
        refused = treasurer.post(
            url, data={**data, "sold_at": value}, headers={"Accept": "application/json"}
        )
        assert refused.status_code == 422
        assert refused.get_json()["errors"]["sold_at"][0].startswith("Sold at:")
    assert snapshot(session) == before


def test_a_backdated_transfer_of_copies_not_there_then_is_refused(scene, session):
    """The store got its copies in January 2020: a transfer dated in 2019 finds none."""
    before = snapshot(session)
    response = send(
        scene["treasurer"],
        "/transfers/new",
        {
            "from_location_id": scene["store"],
            "to_location_id": scene["table"],
            "moved_at": "2019-06-01T10:00",
        },
        lines=_one_copy(scene),
    )
    assert response.status_code in (409, 422)
    said = " ".join(errors(response))
    assert "Only 0 unsigned copies of" in said and "01 Jun 2019" in said, said
    assert snapshot(session) == before


def test_closing_an_event_before_its_table_last_moved_is_refused_with_the_reason(scene, session):
    before = snapshot(session)
    response = send(
        scene["treasurer"],
        f"/events/{scene['event']}/close",
        {"closed_at": "2024-01-10T08:00"},
        action="/close",
        follow=True,
    )
    assert "it cannot have closed before that" in response.get_data(as_text=True)
    assert session.get(Event, scene["event"]).is_open
    assert snapshot(session) == before


def test_a_write_off_dated_into_a_closed_month_is_refused(scene, session):
    session.add(ClosedMonth(section_id=scene["gb"], month=date(2024, 3, 1), closed_at=utcnow()))
    session.commit()
    before = snapshot(session)
    response = _post(scene, session, next(c for c in CASES if c.name == "write-off"), PAST_DAY)
    assert response.status_code == 422
    assert any("are closed" in m for m in errors(response)), errors(response)
    assert snapshot(session) == before


def test_lists_show_when_it_happened_and_when_it_was_recorded(scene, session):
    treasurer = scene["treasurer"]
    response = _post(scene, session, next(c for c in CASES if c.name == "transfer"), PAST_MOMENT)
    assert response.status_code == 302
    transfer_id = session.scalar(select(func.max(Document.id)).where(Document.kind == "transfer"))
    row = page(treasurer, "/transfers").find("a", string=f"#{transfer_id}").find_parent("tr")
    when = row.find("span", title=True)
    assert when.get_text() == "2024-03-01 10:30 UTC"
    assert when["title"].startswith("Recorded ") and treasurer.user.email in when["title"]
    assert "recorded" in row.find("small", class_="recorded").get_text()

    moves = page(treasurer, "/locations/GB-STORE").find("table", id="moves")
    cells = [
        r.find("td")
        for r in moves.find_all("tr")
        if r.find("a", string=lambda text: (text or "").endswith(f"#{transfer_id}"))
    ]
    assert cells and cells[0].find("span").get_text() == "2024-03-01 10:30 UTC"
    assert cells[0].find("small", class_="recorded") is not None

    # A sale dated now carries no note: recorded as it happened.
    sales_table = page(treasurer, f"/events/{scene['event']}/report").find("table", id="sales")
    first = sales_table.find("tbody").find("tr").find_all("td")[1]
    assert first.find("span").get_text() == "2024-01-10 11:00 UTC"
    assert first.find("small", class_="recorded") is not None
    _post(scene, session, next(c for c in CASES if c.name == "sale"), "")
    newest = (
        page(treasurer, f"/events/{scene['event']}/report")
        .find("table", id="sales")
        .find("tbody")
        .find("tr")
    )
    assert newest.find_all("td")[1].find("small", class_="recorded") is None


def test_the_shipment_page_shows_a_receipt_when_it_arrived(scene, session):
    case = next(c for c in CASES if c.name == "receipt")
    assert _post(scene, session, case, PAST_DAY).status_code == 302
    soup = page(scene["staff"], f"/shipments/{scene['in_transit']}")
    header = soup.find("article", class_="receipt").find("header")
    assert "2024-03-01 23:59 UTC" in header.get_text(" ")
    assert header.find("span", title=True)["title"].startswith("Recorded ")
    # The facts say when it left and arrived, and that both were recorded later.
    facts = {dt.get_text(strip=True): dt.find_next_sibling("dd") for dt in soup.select(".facts dt")}
    for name, shown in (
        ("Dispatched", "2024-01-05 23:59 UTC"),
        ("Received", "2024-03-01 23:59 UTC"),
    ):
        assert facts[name].find("span").get_text() == shown
        assert facts[name].find("small", class_="recorded") is not None


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_a_date_is_typed_in_the_readers_time_zone(scene, session, case):
    """Britain's people in Karachi's time (UTC+5): what they type is their local time;
    a day alone is its last second there. People of no section type UTC."""
    section = session.get(Section, scene["gb"])
    section.time_zone = "Asia/Karachi"
    session.commit()
    since = _high_water(session)
    response = _post(scene, session, case, PAST_MOMENT if case.moment else PAST_DAY)
    assert response.status_code == case.done, errors(response)
    local = scene[case.role].user.section_id is not None
    shift = timedelta(hours=5) if local else timedelta(0)
    expected = (PAST_MOMENT_AT if case.moment else PAST_DAY_AT) - shift
    documents, moves = _made(session, since)
    for document in documents:
        assert document.occurred_at == expected, (document.kind, document.occurred_at)
    for move in moves:
        assert move.occurred_at == expected, (move.kind, move.occurred_at)
