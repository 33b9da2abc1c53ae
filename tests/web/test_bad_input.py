"""Bad input, through the pages: ids that are not ids, amounts beyond the bounds or
finer than a currency allows, control characters, far dates, other scripts' digits,
too many lines. Each is refused with a message that says what is wrong and where, and
leaves the data as it was; none answers 500."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Blueprint
from sqlalchemy import select, text
from sqlalchemy.exc import DataError

from tests.factories import World, csrf_token, snapshot
from tests.web.forms import errors, form_values, page, send
from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.money import MAX_PRICE_MINOR, format_money
from tracker.models import Sale, Section, SectionPrice, ShipmentLine
from tracker.services import places, shipments
from tracker.services import receipts as receipts_service
from tracker.services.documents import start as start_document

HUGE_IDS = [str(2**31), str(2**63), "9" * 30]


@pytest.fixture
def gb(world: World, session, login):
    """Britain's store holds 100 copies; a treasurer, distribution staff and an admin."""
    world.stocked(100)
    session.commit()
    store = world.loc("GB-STORE")
    return {
        "world": world,
        "section": store.section_id,
        "store": store.id,
        "table": world.loc("GB-EV").id,
        "treasurer": login(Role.TREASURER, "GB"),
        "staff": login(Role.DISTRIBUTOR),
        "admin": login(Role.ADMIN),
    }


def _text(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")


def _dispatched(session, world: World, section_id: int, qty: int, price: str):
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=section_id,
        lines=[shipments.LineInput(world.edition.id, qty, price)],
    )
    shipments.dispatch(session, None, shipment.id)
    session.commit()
    return shipment


# -- ids -------------------------------------------------------------------------------------------

PATHS_WITH_IDS = [
    "/events/{}",
    "/events/{}/sell",
    "/events/{}/report",
    "/shipments/{}",
    "/shipments/{}/packing-slip",
    "/documents/{}",
    "/stocktakes/{}",
    "/dashboard/sections/{}",
    "/sections/{}/statement",
    "/sections/{}/sell",
    "/sections/{}/prices",
    "/sales/{}/void",
    "/admin/users/{}/edit",
]


@pytest.mark.parametrize("path", PATHS_WITH_IDS)
def test_an_id_in_the_path_that_cannot_exist_is_not_found(gb, path):
    admin = gb["admin"]
    for bad in [*HUGE_IDS, "١", "0"]:
        response = admin.get(path.format(bad))
        assert response.status_code == 404, (path, bad, response.status_code)
        assert "There is nothing at this address" in _text(response)


def test_other_scripts_digits_do_not_name_a_row(gb, session):
    document = session.scalar(select(text("min(id)")).select_from(text("documents")))
    assert gb["admin"].get(f"/documents/{document}").status_code == 200
    arabic = str(document).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert gb["admin"].get(f"/documents/{arabic}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/transfers",
        "/write-offs",
        "/stocktakes",
        "/print-runs",
        "/shipments/",
        "/audit",
        "/locations/GB-STORE",
    ],
)
def test_a_bad_id_in_the_query_string_is_refused_with_its_name(gb, url):
    admin = gb["admin"]
    for bad in ["abc", "1.5", "-1", "١", "9" * 30]:
        response = admin.get(url, query_string={"before": bad})
        assert response.status_code == 400, (url, bad, response.status_code)
        assert f"before={bad!r} is not an id" in _text(response)
    assert admin.get(url, query_string={"before": "5"}).status_code == 200


def test_keyset_pages_of_64_bit_ids_take_64_bit_ids(gb):
    # Moves and audit entries have 64-bit ids: one beyond 32 bits is a page, not an error.
    for url in ("/audit", "/locations/GB-STORE"):
        assert gb["admin"].get(url, query_string={"before": str(2**40)}).status_code == 200


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/events", "section"),
        ("/", "edition"),
        ("/transfers/new", "from"),
        ("/write-offs/new", "location"),
        ("/stocktakes/new", "location_id"),
    ],
)
def test_other_ids_in_the_query_string(gb, url, name):
    response = gb["admin"].get(url, query_string={name: "9" * 12})
    assert response.status_code == 400
    assert f"{name}='999999999999' is not an id" in _text(response)


def _hidden_id_forms(gb, session):
    world, section = gb["world"], gb["section"]
    world.printed(10)
    shipment = _dispatched(session, world, section, 10, "5.00")
    return {
        "transfer": (
            gb["treasurer"],
            "/transfers/new",
            "lines-0-edition_id",
            {"from_location_id": gb["store"], "to_location_id": gb["table"], "lines-0-qty": 1},
        ),
        "write-off": (
            gb["treasurer"],
            "/write-offs/new",
            "lines-0-edition_id",
            {"location_id": gb["store"], "reason": "gift", "lines-0-qty": 1},
        ),
        "stocktake": (
            gb["treasurer"],
            f"/stocktakes/new?location_id={gb['store']}",
            "lines-0-edition_id",
            {"lines-0-counted": 90, "reason": "counted"},
        ),
        "shipment": (
            gb["staff"],
            "/shipments/new",
            "lines-0-edition_id",
            {"section_id": section, "lines-0-qty": 1, "lines-0-unit_price": "5"},
        ),
        "receipt": (
            gb["treasurer"],
            f"/shipments/{shipment.id}/receive",
            "lines-0-line_id",
            {"lines-0-received": 10},
        ),
        "prices": (
            gb["treasurer"],
            f"/sections/{section}/prices",
            "lines-0-edition_id",
            {"lines-0-price": "5"},
        ),
        "thresholds": (gb["admin"], "/dashboard/thresholds", "sections-0-section_id", {}),
    }


@pytest.mark.parametrize(
    "form", ["transfer", "write-off", "stocktake", "shipment", "receipt", "prices", "thresholds"]
)
def test_a_bad_hidden_id_in_a_form_is_refused_with_its_name(gb, session, form):
    client, url, field, values = _hidden_id_forms(gb, session)[form]
    before = snapshot(session)
    for bad in ["abc", "", "1.5", "-3", "١", "9" * 20, str(2**31)]:
        response = send(client, url, {**values, field: bad})
        assert response.status_code == 400, (form, bad, response.status_code)
        assert f"{field}={bad!r} is not an id" in _text(response)
        assert snapshot(session) == before


# -- money -----------------------------------------------------------------------------------------

TOO_FINE = "has more decimals than GBP allows (2)"
TOO_LARGE = "is too large"
NOT_MONEY = "is not an amount of money"


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("1e999999999", TOO_LARGE),
        ("21474836.48", TOO_LARGE),
        ("10000000.01", TOO_LARGE),
        ("1e-999999999", TOO_FINE),
        ("0.001", TOO_FINE),
        ("sNaN", NOT_MONEY),
        ("NaN", NOT_MONEY),
        ("Infinity", NOT_MONEY),
        ("١٢", NOT_MONEY),
        ("1_000", NOT_MONEY),
    ],
)
def test_a_sale_price_out_of_bounds_is_refused(gb, session, price, message):
    before = snapshot(session)
    response = send(
        gb["treasurer"],
        f"/sections/{gb['section']}/sell",
        {"item": f"{gb['world'].edition.id}:unsigned", "qty": "1", "price": price},
        selector="form.sale-form",
    )
    assert response.status_code == 422
    assert message in _text(response)
    assert snapshot(session) == before


def test_a_price_at_the_bound_is_taken_and_shown(gb, session):
    response = send(
        gb["treasurer"],
        f"/sections/{gb['section']}/sell",
        {"item": f"{gb['world'].edition.id}:unsigned", "qty": "1", "price": "10000000.00"},
        selector="form.sale-form",
    )
    assert response.status_code == 200 and "Sold" in _text(response)
    sale = session.scalar(select(Sale).order_by(Sale.document_id.desc()))
    assert sale.lines[0].unit_price_minor == MAX_PRICE_MINOR
    statement = gb["treasurer"].get(f"/sections/{gb['section']}/statement")
    assert statement.status_code == 200
    assert format_money(MAX_PRICE_MINOR, "GBP") in _text(statement)


@pytest.mark.parametrize(
    ("price", "message"),
    [("sNaN", NOT_MONEY), ("1e999999999", TOO_LARGE), ("1e-999999999", TOO_FINE)],
)
def test_shipment_return_and_section_prices_out_of_bounds(gb, session, price, message):
    before = snapshot(session)
    outbound = send(
        gb["staff"],
        "/shipments/new",
        {"section_id": gb["section"], "lines-0-qty": 1, "lines-0-unit_price": price},
    )
    assert outbound.status_code == 422 and any(message in e for e in errors(outbound))
    prices = send(gb["treasurer"], f"/sections/{gb['section']}/prices", {"lines-0-price": price})
    assert prices.status_code == 422 and any(message in e for e in errors(prices))
    assert snapshot(session) == before
    assert session.scalar(select(SectionPrice.price_minor)) is None


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e999999999", TOO_LARGE),
        ("100000000000.01", TOO_LARGE),
        ("1e-999999999", TOO_FINE),
        ("sNaN", NOT_MONEY),
    ],
)
def test_a_remittance_out_of_bounds_is_refused(gb, session, amount, message):
    before = snapshot(session)
    response = send(gb["treasurer"], "/remittances/new", {"amount": amount, "currency": "GBP"})
    assert response.status_code == 422 and any(message in e for e in errors(response))
    assert snapshot(session) == before


@pytest.mark.parametrize("rate", ["1e999999999", "1e30", "sNaN", "1e-999999999", "1000001"])
def test_a_rate_out_of_bounds_is_refused(gb, rate):
    response = send(gb["admin"], "/exchange-rates", {"currency": "SEK", "rate": rate})
    assert response.status_code == 422 and errors(response)


@pytest.fixture
def pakistan(world: World, session, login):
    section = places.create_section(session, name="Pakistan", country_code="PK", currency="PKR")
    session.commit()
    return section


def test_a_receipt_worth_more_than_32_bits_leaves_every_page_working(
    world, session, login, pakistan
):
    """15,000 copies at PKR 1,500 (2.25 billion paisa) summed in SQL: the dashboard, the
    balances and the section's dashboard answer, with the figures."""
    copies, price = 15_000, "1500"
    world.printed(copies)
    session.commit()
    shipment = _dispatched(session, world, pakistan.id, copies, price)
    treasurer = login(Role.TREASURER, "PK")
    line_id = shipment.lines[0].id
    response = send(
        treasurer,
        f"/shipments/{shipment.id}/receive",
        {"lines-0-line_id": line_id, "lines-0-received": copies},
    )
    assert response.status_code == 302, errors(response)
    owed = format_money(copies * 1500 * 100, "PKR")
    coordinator = login(Role.COORDINATOR)
    balances = coordinator.get("/balances")
    assert balances.status_code == 200 and owed in _text(balances)
    assert coordinator.get("/dashboard").status_code == 200
    section_page = coordinator.get(f"/dashboard/sections/{pakistan.id}")
    assert section_page.status_code == 200 and f"{copies:,}" in _text(section_page)
    assert treasurer.get("/dashboard").status_code == 200
    statement = treasurer.get(f"/sections/{pakistan.id}/statement")
    assert statement.status_code == 200 and owed in _text(statement)


def test_the_largest_receipt_at_the_largest_price(world, session, login):
    """A million copies at the largest price per copy: 10^15 minor units, on a page."""
    world.printed(1_000_000)
    session.commit()
    section = session.scalar(select(Section).where(Section.name == "Britain"))
    shipment = _dispatched(session, world, section.id, 1_000_000, "10000000.00")
    receipts_service.receive(
        session, None, shipment.id, [receipts_service.ReceiptInput(shipment.lines[0].id, 1_000_000)]
    )
    session.commit()
    assert session.scalar(select(ShipmentLine.unit_price_minor)) == MAX_PRICE_MINOR
    coordinator = login(Role.COORDINATOR)
    balances = coordinator.get("/balances")
    assert balances.status_code == 200
    assert format_money(MAX_PRICE_MINOR * 1_000_000, "GBP") in _text(balances)
    assert coordinator.get("/dashboard").status_code == 200
    assert coordinator.get(f"/dashboard/sections/{section.id}").status_code == 200


# -- text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\x00b", "a\x0bb", "a\x1bb", "a\x85b", "tab\there"])
def test_control_characters_in_a_name_are_refused(gb, session, bad):
    before = snapshot(session)
    response = send(
        gb["treasurer"],
        "/events/new",
        {"section_id": gb["section"], "name": bad, "starts_on": date.today().isoformat()},
    )
    assert response.status_code == 422
    assert any("control character" in e for e in errors(response)), errors(response)
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("client", "url", "values"),
    [
        ("treasurer", "/transfers/new", {"note": "a\x00b"}),
        ("treasurer", "/transfers/new", {"note": "a\x0bb"}),
        ("staff", "/shipments/new", {"carrier": "DH\x00L"}),
        ("treasurer", "/remittances/new", {"reference": "ref\x00", "amount": "5"}),
    ],
)
def test_control_characters_in_other_texts_are_refused(gb, session, client, url, values):
    base = {
        "/transfers/new": {
            "from_location_id": gb["store"],
            "to_location_id": gb["table"],
            "lines-0-qty": 1,
        },
        "/shipments/new": {"section_id": gb["section"], "lines-0-qty": 1, "lines-0-unit_price": 5},
        "/remittances/new": {"currency": "GBP"},
    }[url]
    before = snapshot(session)
    response = send(gb[client], url, {**base, **values})
    assert response.status_code == 422
    assert any("control character" in e for e in errors(response)), errors(response)
    assert snapshot(session) == before


def test_line_breaks_and_tabs_are_kept_in_notes(gb, session):
    note = "Two boxes:\r\n\tone for the table,\r\n\tone for the store"
    response = send(
        gb["treasurer"],
        "/transfers/new",
        {
            "from_location_id": gb["store"],
            "to_location_id": gb["table"],
            "lines-0-qty": 1,
            "note": note,
        },
    )
    assert response.status_code == 302, errors(response)


def test_a_hidden_field_with_a_control_character_says_so(gb, session):
    before = snapshot(session)
    response = send(
        gb["treasurer"],
        "/transfers/new",
        {
            "from_location_id": gb["store"],
            "to_location_id": gb["table"],
            "lines-0-qty": 1,
            "lines-0-condition": "un\x00signed",
        },
    )
    assert response.status_code == 422
    assert any("lines-0-condition" in e for e in errors(response)), errors(response)
    assert snapshot(session) == before


@pytest.mark.parametrize(
    "url", ["/locations/GB%00STORE", "/audit?kind=%00", "/shipments/?carrier=a%1bb"]
)
def test_an_address_with_a_control_character_is_refused(gb, url):
    response = gb["admin"].get(url)
    assert response.status_code == 400
    assert "control character" in _text(response)


def test_a_nul_in_the_login_email_is_refused(app, client):
    response = client.post(
        "/login",
        data={"email": "a\x00@example.org", "password": "x", "csrf_token": csrf_token(client)},
    )
    assert response.status_code < 500
    assert "control character" in _text(response)


# -- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "9999-12-31"), ("0001-01-01", ""), ("", "9999-12-31"), ("1899-12-31", "")],
)
def test_far_dates_on_the_dashboards_are_refused(gb, start, end):
    query = {k: v for k, v in (("start", start), ("end", end)) if v}
    for url in ("/dashboard", f"/dashboard/sections/{gb['section']}"):
        response = gb["admin"].get(url, query_string=query)
        assert response.status_code == 400, (url, query)
        said = _text(response)
        assert "is too long ago" in said or "is too far ahead" in said


def test_far_dates_in_forms_are_refused(gb, session):
    before = snapshot(session)
    far = (date.today() + timedelta(days=6 * 366)).isoformat()
    for starts_on in ("9999-12-31", "0001-01-01", far):
        response = send(
            gb["treasurer"],
            "/events/new",
            {"section_id": gb["section"], "name": "Stall", "starts_on": starts_on},
        )
        assert response.status_code == 422
        assert any("too" in e for e in errors(response)), errors(response)
    response = send(
        gb["treasurer"],
        "/transfers/new",
        {
            "from_location_id": gb["store"],
            "to_location_id": gb["table"],
            "lines-0-qty": 1,
            "moved_at": "0001-01-01T10:00",
        },
    )
    assert response.status_code == 422 and any("too long ago" in e for e in errors(response))
    assert snapshot(session) == before


# -- quantities ------------------------------------------------------------------------------------


@pytest.mark.parametrize("qty", ["١", "１２", "1_000", "1,5", "1.5", "1e3", "٣"])
def test_quantities_take_ascii_digits_only(gb, session, qty):
    before = snapshot(session)
    transfer = send(
        gb["treasurer"],
        "/transfers/new",
        {"from_location_id": gb["store"], "to_location_id": gb["table"], "lines-0-qty": qty},
    )
    assert transfer.status_code == 422
    assert f"{qty!r} is not a whole number." in errors(transfer)
    sale = send(
        gb["treasurer"],
        f"/sections/{gb['section']}/sell",
        {"item": f"{gb['world'].edition.id}:unsigned", "qty": qty},
        selector="form.sale-form",
    )
    assert sale.status_code == 422 and f"{qty!r} is not a whole number." in _text(sale)
    assert snapshot(session) == before


@pytest.mark.parametrize(
    ("item", "qty", "message"),
    [
        ("99999999999:unsigned", "1", "There is no edition 99999999999"),
        ("{edition}:unsigned", "١", ""),
        ("{edition}:unsigned", "1_0", ""),
    ],
)
def test_the_sale_screens_script_gets_bad_input_refused(gb, session, item, qty, message):
    """The sale screen's script posts for JSON: the same refusals, as JSON."""
    treasurer = gb["treasurer"]
    url = f"/sections/{gb['section']}/sell"
    data = {
        **form_values(page(treasurer, url).select_one("form.sale-form")),
        "item": item.format(edition=gb["world"].edition.id),
        "qty": qty,
    }
    before = snapshot(session)
    response = treasurer.post(url, data=data, headers={"Accept": "application/json"})
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["ok"] is False and message in answer["message"]
    if not message:
        assert answer["errors"]["qty"] == [f"{qty!r} is not a whole number."]
    assert snapshot(session) == before


def test_thousands_separators_still_work(gb, session):
    gb["world"].printed(5000)
    session.commit()
    response = send(
        gb["staff"],
        "/shipments/new",
        {"section_id": gb["section"], "lines-0-qty": "1,000", "lines-0-unit_price": "5"},
    )
    assert response.status_code == 302, errors(response)
    assert session.scalar(select(ShipmentLine.qty).order_by(ShipmentLine.id.desc())) == 1000


# -- how many lines a form takes -------------------------------------------------------------------


def _with_lines(client, url: str, prefix: str, count: int, line: dict, extra: dict | None = None):
    soup = page(client, url)
    form = [f for f in soup.find("main").find_all("form") if f.get("method") == "post"][-1]
    data = {k: v for k, v in form_values(form).items() if not k.startswith(f"{prefix}-")}
    for i in range(count):
        data.update({f"{prefix}-{i}-{name}": value for name, value in line.items()})
    data.update(extra or {})
    return client.post(url, data=data)


@pytest.mark.parametrize(
    ("who", "url", "prefix", "most", "line", "extra"),
    [
        ("treasurer", "/sections/{section}/prices", "lines", 200, {"price": ""}, {}),
        (
            "treasurer",
            "/transfers/new",
            "lines",
            400,
            {"condition": "unsigned", "qty": ""},
            {"from_location_id": "{store}", "to_location_id": "{table}"},
        ),
        ("staff", "/shipments/new", "lines", 200, {"qty": ""}, {"section_id": "{section}"}),
        ("admin", "/dashboard/thresholds", "sections", 200, {}, {}),
    ],
)
def test_a_form_takes_so_many_lines_and_no_more(gb, session, who, url, prefix, most, line, extra):
    def fill(text):
        return text.format(**gb) if isinstance(text, str) else text

    url, extra = fill(url), {k: fill(v) for k, v in extra.items()}
    ids = {
        "lines": gb["world"].edition.id,
        "sections": gb["section"],
    }
    key = "section_id" if prefix == "sections" else "edition_id"
    before = snapshot(session)
    for count in (most + 1, 20_000):
        response = _with_lines(gb[who], url, prefix, count, {key: ids[prefix], **line}, extra)
        assert response.status_code == 400, (count, response.status_code)
        assert f"it takes at most {most:,}" in _text(response)
        assert snapshot(session) == before
    # As many as it takes are read (then refused or saved for what they say).
    response = _with_lines(gb[who], url, prefix, most, {key: ids[prefix], **line}, extra)
    assert response.status_code != 400


# -- the last resort -------------------------------------------------------------------------------


def test_a_value_the_database_refuses_is_a_422_and_nothing_is_kept(database, session, login):
    from flask import current_app

    from tracker import create_app
    from tracker.web.access import allow

    del current_app  # the app is made here, with one more route
    from config import TestConfig

    app = create_app(TestConfig, {"DATABASE_URL": database.fresh()})
    probe = Blueprint("probe", __name__)

    @probe.post("/probe")
    @allow(Role.ADMIN)
    def write_then_fail():
        start_document(db.session, None, "probe", note="written before the failure")
        db.session.flush()
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT CAST('99999999999' AS INTEGER)"))
        raise DataError("SELECT ...", {}, Exception("value out of range"))

    app.register_blueprint(probe)
    try:
        from tests.factories import log_in, make_user
        from tracker.models import Document

        with app.app_context():
            make_user(db.session, app.extensions["tracker.hasher"], Role.ADMIN, email="a@x.org")
            db.session.commit()
        client = app.test_client()
        log_in(client, "a@x.org")
        response = client.post("/probe", data={"csrf_token": csrf_token(client, "/")})
        assert response.status_code == 422
        assert "Nothing was saved" in _text(response)
        with app.app_context():
            assert db.session.scalar(select(Document.id).where(Document.kind == "probe")) is None
    finally:
        app.extensions["tracker.db"].engine.dispose()


def test_every_form_of_the_tracker_gets_its_rules():
    """Every form class derives from tracker.web.forms' bases, whose fields refuse control
    characters and far dates."""
    import importlib
    import pkgutil

    import wtforms

    import tracker
    from tracker.web import forms as shared

    for module in pkgutil.walk_packages(tracker.__path__, "tracker."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [
        c
        for c in subclasses(wtforms.Form)
        if c.__module__.startswith("tracker.") and c.__module__ != "tracker.web.forms"
    ]
    assert len(ours) > 15
    strays = [c for c in ours if not issubclass(c, shared.Form | shared.FlaskForm)]
    assert strays == []
