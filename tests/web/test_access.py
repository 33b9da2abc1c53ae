"""Who may do what: every route against every role, and treasurers fenced to their section.

The matrix walks the app's URL map and fails when a route has no expectation here: a
new route forces a decision about who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from tests.factories import World, csrf_token
from tracker.domain.accounts import Role
from tracker.models import Move, Section
from tracker.web.access import declared

ROLES = ("anonymous", "admin", "distributor", "treasurer", "coordinator")
ALL = {r: 200 for r in ROLES if r != "anonymous"}

# A redirect (to the login page, or onward).
R = 302


@dataclass
class Expect:
    """The URL of a route, and the status each role gets for GET and for POST."""

    url: str
    get: dict[str, int]
    post: dict[str, int]


def _only(roles: tuple[str, ...], ok: int) -> dict[str, int]:
    return {r: (ok if r in roles else 403) for r in ROLES if r != "anonymous"}


def expectations(ctx: dict) -> dict[str, Expect]:
    no_post = dict.fromkeys(ROLES, 405)
    signed_in_get = {"anonymous": R, **ALL}
    admin_get = {"anonymous": R, **_only(("admin",), 200)}
    staff = ("admin", "distributor")
    keepers = ("admin", "distributor", "treasurer")
    staff_get = {"anonymous": R, **_only(staff, 200)}
    staff_get_only = _only(staff, 200)
    staff_422 = _only(staff, 422)  # an empty form: shown again with its errors
    keepers_get = {"anonymous": R, **_only(keepers, 200)}
    keepers_422 = _only(keepers, 422)
    keepers_redirect = _only(keepers, R)
    runners = ("admin", "treasurer")
    runners_get = {"anonymous": R, **_only(runners, 200)}
    runners_422 = _only(runners, 422)
    runners_redirect = _only(runners, R)
    return {
        "static": Expect("/static/css/app.css", dict.fromkeys(ROLES, 200), no_post),
        "system.healthz": Expect("/healthz", dict.fromkeys(ROLES, 200), no_post),
        "system.readyz": Expect("/readyz", dict.fromkeys(ROLES, 200), no_post),
        "auth.login": Expect(
            "/login",
            {"anonymous": 200, **dict.fromkeys(ALL, R)},
            # An empty form: the page again, with its message.
            {"anonymous": 200, **dict.fromkeys(ALL, R)},
        ),
        "auth.password": Expect("/account/password", signed_in_get, {"anonymous": R, **ALL}),
        # An empty form switches off every mail of the role: saved, back to the page.
        "auth.account": Expect(
            "/account", signed_in_get, {"anonymous": R, **dict.fromkeys(ALL, R)}
        ),
        # API tokens: an empty form is shown again with its errors; asked by GET, the
        # account page. Another's token does not exist, but to an admin.
        "auth.new_token": Expect(
            "/account/tokens",
            {"anonymous": R, **dict.fromkeys(ALL, R)},
            {"anonymous": R, **dict.fromkeys(ALL, 422)},
        ),
        "auth.revoke_token": Expect(
            f"/account/tokens/{ctx['token']}/revoke",
            no_post,
            {"anonymous": R, **dict.fromkeys(ALL, 404), "admin": R},
        ),
        # Forgotten passwords: for anyone (an empty form is shown again with its errors;
        # a link that is not one is said so).
        "auth.forgot_password": Expect(
            "/password/forgot", dict.fromkeys(ROLES, 200), dict.fromkeys(ROLES, 422)
        ),
        "auth.reset_password": Expect(
            "/password/reset/not-a-token", dict.fromkeys(ROLES, 404), dict.fromkeys(ROLES, 404)
        ),
        "stock.home": Expect("/", signed_in_get, no_post),
        "dashboard.index": Expect("/dashboard", signed_in_get, no_post),
        "dashboard.section": Expect(f"/dashboard/sections/{ctx['gb']}", signed_in_get, no_post),
        # An empty form keeps no thresholds: saved, back to the page.
        "dashboard.thresholds": Expect(
            "/dashboard/thresholds", admin_get, {"anonymous": R, **_only(("admin",), R)}
        ),
        "stock.location": Expect("/locations/GB-STORE", signed_in_get, no_post),
        "stock.document": Expect(f"/documents/{ctx['document']}", signed_in_get, no_post),
        "admin.users": Expect("/admin/users", admin_get, no_post),
        "admin.new_user": Expect(
            "/admin/users/new", admin_get, {"anonymous": R, **_only(("admin",), 422)}
        ),
        "admin.edit_user": Expect(
            f"/admin/users/{ctx['victim']}/edit",
            admin_get,
            # Fields not sent keep their values (WTForms): saved as they were.
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.reset_password": Expect(
            f"/admin/users/{ctx['victim']}/reset-password",
            no_post,
            {"anonymous": R, **_only(("admin",), 200)},
        ),
        "admin.deactivate_user": Expect(
            f"/admin/users/{ctx['victim']}/deactivate",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.reactivate_user": Expect(
            f"/admin/users/{ctx['victim']}/reactivate",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        # An empty limit is no limit: saved, back to the page.
        "admin.dating": Expect(
            "/admin/dating", admin_get, {"anonymous": R, **_only(("admin",), R)}
        ),
        "admin.mail": Expect("/admin/mail", admin_get, no_post),
        # Imports: an empty form is shown again with its errors; a confirmation that
        # names no file previewed finds none.
        "imports.index": Expect("/imports/", keepers_get, {"anonymous": R, **keepers_422}),
        "imports.preview": Expect("/imports/", keepers_get, {"anonymous": R, **keepers_422}),
        "imports.confirm": Expect(
            "/imports/confirm", no_post, {"anonymous": R, **_only(keepers, 404)}
        ),
        "imports.template": Expect("/imports/templates/sales.xlsx", keepers_get, no_post),
        "admin.close_month": Expect(
            "/admin/dating/close", no_post, {"anonymous": R, **_only(("admin",), 422)}
        ),
        # A month that is not closed: back to the page, with a message.
        "admin.reopen_month": Expect(
            f"/admin/dating/{ctx['gb']}/2024-02/reopen",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        # The catalogue: the publisher's side reads it, an admin changes it.
        "admin.catalogue": Expect(
            "/admin/catalogue",
            {"anonymous": R, **_only(("admin", "distributor", "coordinator"), 200)},
            no_post,
        ),
        "admin.new_title": Expect(
            "/admin/catalogue/titles/new", admin_get, {"anonymous": R, **_only(("admin",), 422)}
        ),
        # Fields not sent keep their values: saved as they were.
        "admin.edit_title": Expect(
            f"/admin/catalogue/titles/{ctx['title']}/edit",
            admin_get,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.new_edition": Expect(
            f"/admin/catalogue/titles/{ctx['title']}/editions/new",
            admin_get,
            {"anonymous": R, **_only(("admin",), 422)},
        ),
        "admin.edit_edition": Expect(
            f"/admin/catalogue/editions/{ctx['edition']}/edit",
            admin_get,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        # Each answers with a page, done or refused with a message (its copies moved:
        # not deleted); archived, then offered again.
        "admin.archive_edition": Expect(
            f"/admin/catalogue/editions/{ctx['edition']}/archive",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.unarchive_edition": Expect(
            f"/admin/catalogue/editions/{ctx['edition']}/unarchive",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.delete_edition": Expect(
            f"/admin/catalogue/editions/{ctx['edition']}/delete",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.index": Expect("/admin/", admin_get, no_post),
        "admin.sections": Expect("/admin/sections", admin_get, no_post),
        "admin.new_section": Expect(
            "/admin/sections/new", admin_get, {"anonymous": R, **_only(("admin",), 422)}
        ),
        # Fields not sent keep their values: saved as they were.
        "admin.edit_section": Expect(
            f"/admin/sections/{ctx['gb']}/edit", admin_get, {"anonymous": R, **_only(("admin",), R)}
        ),
        # Britain holds copies: refused, back to the list with the reason.
        "admin.archive_section": Expect(
            f"/admin/sections/{ctx['gb']}/archive",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.unarchive_section": Expect(
            f"/admin/sections/{ctx['gb']}/unarchive",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.places_list": Expect("/admin/places", admin_get, no_post),
        "admin.new_store": Expect(
            "/admin/places/new", admin_get, {"anonymous": R, **_only(("admin",), 422)}
        ),
        "admin.edit_place": Expect(
            f"/admin/places/{ctx['store']}/edit",
            admin_get,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        # The store holds copies: refused, back to the list with the reason.
        "admin.archive_place": Expect(
            f"/admin/places/{ctx['store']}/archive",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "admin.reopen_place": Expect(
            f"/admin/places/{ctx['store']}/reopen",
            no_post,
            {"anonymous": R, **_only(("admin",), R)},
        ),
        "shipments.index": Expect("/shipments/", signed_in_get, no_post),
        "shipments.new": Expect("/shipments/new", staff_get, {"anonymous": R, **staff_422}),
        "shipments.new_return": Expect(
            "/shipments/new-return", keepers_get, {"anonymous": R, **keepers_422}
        ),
        "shipments.detail": Expect(f"/shipments/{ctx['draft']}", signed_in_get, no_post),
        "shipments.packing_slip": Expect(
            f"/shipments/{ctx['draft']}/packing-slip", signed_in_get, no_post
        ),
        # A treasurer may not edit an outbound draft: back to the shipment, with a message.
        "shipments.edit": Expect(
            f"/shipments/{ctx['draft']}/edit",
            {"anonymous": R, **staff_get_only, "treasurer": R},
            {"anonymous": R, **_only(("admin", "distributor"), 422), "treasurer": R},
        ),
        "shipments.receive": Expect(
            f"/shipments/{ctx['in_transit']}/receive", keepers_get, {"anonymous": R, **keepers_422}
        ),
        # Actions answer with the shipment again, done or refused with a message.
        "shipments.dispatch": Expect(
            f"/shipments/{ctx['draft']}/dispatch", no_post, {"anonymous": R, **keepers_redirect}
        ),
        "shipments.cancel": Expect(
            f"/shipments/{ctx['draft']}/cancel", no_post, {"anonymous": R, **keepers_redirect}
        ),
        "movements.transfers": Expect("/transfers", signed_in_get, no_post),
        "movements.new_transfer": Expect(
            "/transfers/new", keepers_get, {"anonymous": R, **keepers_422}
        ),
        "movements.write_offs": Expect("/write-offs", signed_in_get, no_post),
        "movements.new_write_off": Expect(
            "/write-offs/new", keepers_get, {"anonymous": R, **keepers_422}
        ),
        "movements.stocktakes": Expect("/stocktakes", signed_in_get, no_post),
        "movements.new_stocktake": Expect(
            f"/stocktakes/new?location_id={ctx['store']}",
            keepers_get,
            {"anonymous": R, **keepers_422},
        ),
        "movements.stocktake": Expect(f"/stocktakes/{ctx['stocktake']}", signed_in_get, no_post),
        "movements.print_runs": Expect(
            "/print-runs",
            {"anonymous": R, **_only(("admin", "distributor", "coordinator"), 200)},
            no_post,
        ),
        "movements.new_print_run": Expect(
            "/print-runs/new", staff_get, {"anonymous": R, **staff_422}
        ),
        "events.index": Expect("/events", signed_in_get, no_post),
        "events.new": Expect("/events/new", runners_get, {"anonymous": R, **runners_422}),
        "events.detail": Expect(f"/events/{ctx['event']}", signed_in_get, no_post),
        "events.edit": Expect(
            f"/events/{ctx['event']}/edit", runners_get, {"anonymous": R, **runners_422}
        ),
        "events.sell": Expect(
            f"/events/{ctx['event']}/sell", runners_get, {"anonymous": R, **runners_422}
        ),
        "events.undo": Expect(
            f"/events/{ctx['event']}/undo", no_post, {"anonymous": R, **runners_redirect}
        ),
        "events.signing": Expect(
            f"/events/{ctx['event']}/signing", runners_get, {"anonymous": R, **runners_422}
        ),
        "events.report": Expect(f"/events/{ctx['event']}/report", signed_in_get, no_post),
        "events.signings": Expect("/signings", signed_in_get, no_post),
        "events.store_sell": Expect(
            f"/sections/{ctx['gb']}/sell", runners_get, {"anonymous": R, **runners_422}
        ),
        # The sale screen's service worker: a script, from the root, for anyone.
        "events.service_worker": Expect("/sw.js", dict.fromkeys(ROLES, 200), no_post),
        "events.store_undo": Expect(
            f"/sections/{ctx['gb']}/undo", no_post, {"anonymous": R, **runners_redirect}
        ),
        "events.void": Expect(
            f"/sales/{ctx['sale']}/void", runners_get, {"anonymous": R, **runners_422}
        ),
        "events.event_tally": Expect(
            f"/events/{ctx['event']}/tally", runners_get, {"anonymous": R, **runners_422}
        ),
        "events.store_tally": Expect(
            f"/sections/{ctx['gb']}/tally", runners_get, {"anonymous": R, **runners_422}
        ),
        "events.signing_tally": Expect(
            f"/events/{ctx['event']}/signing-tally", runners_get, {"anonymous": R, **runners_422}
        ),
        "events.tally": Expect(f"/tallies/{ctx['tally']}", runners_get, no_post),
        # A program's endpoint: JSON only (a form is a bad request), 401 rather than the
        # login page, 403 as a problem document.
        # The JSON API: its document for anyone; the rest 401 to strangers, and a write
        # whose body is not JSON is 415.
        "api.openapi_document": Expect("/api/v1/openapi.json", dict.fromkeys(ROLES, 200), no_post),
        "api.docs": Expect("/api/v1/docs", dict.fromkeys(ROLES, 200), no_post),
        "api.me": Expect("/api/v1/me", {"anonymous": 401, **ALL}, no_post),
        "api.stock": Expect("/api/v1/stock", {"anonymous": 401, **ALL}, no_post),
        "api.dashboard": Expect("/api/v1/dashboard", {"anonymous": 401, **ALL}, no_post),
        "api.events": Expect("/api/v1/events", {"anonymous": 401, **ALL}, no_post),
        "api.event": Expect(f"/api/v1/events/{ctx['event']}", {"anonymous": 401, **ALL}, no_post),
        # One address: the list (GET) and a new draft (POST).
        "api.shipments": Expect(
            "/api/v1/shipments", {"anonymous": 401, **ALL}, {"anonymous": 401, **_only(staff, 415)}
        ),
        "api.shipment": Expect(
            f"/api/v1/shipments/{ctx['in_transit']}", {"anonymous": 401, **ALL}, no_post
        ),
        "api.statement": Expect(
            f"/api/v1/sections/{ctx['gb']}/statement", {"anonymous": 401, **ALL}, no_post
        ),
        "api.sales": Expect("/api/v1/sales", {"anonymous": 401, **ALL}, no_post),
        # As the audit page: admins and coordinators.
        "api.audit": Expect(
            "/api/v1/audit", {"anonymous": 401, **_only(("admin", "coordinator"), 200)}, no_post
        ),
        "api.sections": Expect("/api/v1/sections", {"anonymous": 401, **ALL}, no_post),
        "api.places": Expect("/api/v1/places", {"anonymous": 401, **ALL}, no_post),
        "api.record_sales": Expect(
            f"/api/v1/places/{ctx['store']}/sales",
            no_post,
            {"anonymous": 401, **_only(runners, 415)},
        ),
        "api.create_shipment": Expect(
            "/api/v1/shipments", {"anonymous": 401, **ALL}, {"anonymous": 401, **_only(staff, 415)}
        ),
        "api.dispatch_shipment": Expect(
            f"/api/v1/shipments/{ctx['draft']}/dispatch",
            no_post,
            {"anonymous": 401, **_only(keepers, 415)},
        ),
        "api.cancel_shipment": Expect(
            f"/api/v1/shipments/{ctx['draft']}/cancel",
            no_post,
            {"anonymous": 401, **_only(keepers, 415)},
        ),
        "api.receive_shipment": Expect(
            f"/api/v1/shipments/{ctx['in_transit']}/receipt",
            no_post,
            {"anonymous": 401, **_only(keepers, 415)},
        ),
        "api.create_transfer": Expect(
            "/api/v1/transfers", no_post, {"anonymous": 401, **_only(keepers, 415)}
        ),
        # A transfer and a write-off made in ctx (Britain's): Britain's treasurer's too.
        "api.get_transfer": Expect(
            f"/api/v1/transfers/{ctx['transfer']}", {"anonymous": 401, **ALL}, no_post
        ),
        "api.get_write_off": Expect(
            f"/api/v1/write-offs/{ctx['write_off']}", {"anonymous": 401, **ALL}, no_post
        ),
        "api.create_write_off": Expect(
            "/api/v1/write-offs", no_post, {"anonymous": 401, **_only(keepers, 415)}
        ),
        "events.record_sales": Expect(
            f"/places/{ctx['store']}/sales",
            no_post,
            {"anonymous": 401, **_only(runners, 400)},
        ),
        # Sent without a reason: the tally's page again, with the message.
        "events.void_tally": Expect(
            f"/tallies/{ctx['tally']}/void", no_post, {"anonymous": R, **runners_422}
        ),
        # Closing asks first (GET), then answers with the event; so does reopening.
        "events.close": Expect(
            f"/events/{ctx['event']}/close", runners_get, {"anonymous": R, **runners_redirect}
        ),
        "events.reopen": Expect(
            f"/events/{ctx['event']}/reopen", no_post, {"anonymous": R, **runners_redirect}
        ),
        "money.index": Expect("/money", dict.fromkeys(ROLES, R), no_post),
        "money.statement": Expect(f"/sections/{ctx['gb']}/statement", signed_in_get, no_post),
        "money.prices": Expect(
            f"/sections/{ctx['gb']}/prices", runners_get, {"anonymous": R, **runners_redirect}
        ),
        "money.remittances": Expect("/remittances", signed_in_get, no_post),
        "money.new_remittance": Expect(
            "/remittances/new", runners_get, {"anonymous": R, **runners_422}
        ),
        "money.confirm": Expect(
            f"/remittances/{ctx['remittance']}/confirm",
            no_post,
            {"anonymous": R, **_only(staff, R)},
        ),
        "money.balances": Expect(
            "/balances",
            {"anonymous": R, **_only(("admin", "distributor", "coordinator"), 200)},
            no_post,
        ),
        "money.rates": Expect(
            "/exchange-rates",
            {"anonymous": R, **_only(("admin", "coordinator"), 200)},
            {"anonymous": R, **_only(("admin",), 422)},
        ),
        "audit.index": Expect(
            "/audit", {"anonymous": R, **_only(("admin", "coordinator"), 200)}, no_post
        ),
        # Anyone may choose a language; with none named, the page says so.
        "language": Expect("/language", no_post, dict.fromkeys(ROLES, R)),
        # Last: it ends the session.
        "auth.logout": Expect("/logout", no_post, {"anonymous": R, **dict.fromkeys(ALL, R)}),
    }


@pytest.fixture
def ctx(world: World, session, make_user) -> dict:
    from tracker.services import movements, shipments, tallies, tokens
    from tracker.services import remittances as remittances_service
    from tracker.services import sales as sales_service

    world.stocked(10)
    document = world.post("transfer", 2, "GB-STORE", "GB-EV")
    se = world.printed(5)
    world.post("dispatch", 5, "WH", "SE-TRANSIT")
    se_receipt = world.post("receipt", 5, "SE-TRANSIT", "SE-STORE")
    victim = make_user(Role.DISTRIBUTOR)
    token, _raw = tokens.create(session, victim, name="Victim's sheet", days=7, read_only=False)
    world.printed(50)
    gb = world.loc("GB-STORE").section_id
    lines = [shipments.LineInput(world.edition.id, 5, "1.00")]
    draft = shipments.create(session, None, direction="outbound", section_id=gb, lines=lines)
    in_transit = shipments.create(session, None, direction="outbound", section_id=gb, lines=lines)
    shipments.dispatch(session, None, in_transit.id)
    from tracker.services import events

    event = events.create_event(
        session,
        None,
        gb,
        events.EventDetails(
            name="Launch", kind="launch", starts_on=__import__("datetime").date.today()
        ),
    )
    to_table = movements.transfer(
        session,
        None,
        from_location_id=world.loc("GB-STORE").id,
        to_location_id=event.location_id,
        lines=[movements.Copies(world.edition.id, 3)],
    )
    write_off = movements.write_off(
        session,
        None,
        location_id=event.location_id,
        reason="gift",
        lines=[movements.Copies(world.edition.id, 1)],
    )
    sale = sales_service.sell(
        session,
        None,
        location_id=event.location_id,
        items=[sales_service.SaleItem(world.edition.id, 1)],
        payment_method="cash",
    )
    tally = tallies.record_sales_tally(
        session,
        None,
        location_id=event.location_id,
        lines=[tallies.TallyLine(world.edition.id, 1)],
        when=None,
    )
    remittance = remittances_service.record_remittance(
        session,
        None,
        section_id=gb,
        amount="10",
        currency="GBP",
        sent_on=__import__("datetime").date.today(),
        method="cash",
    )
    count = movements.stocktake(
        session,
        None,
        location_id=world.loc("GB-STORE").id,
        counts=[movements.Copies(world.edition.id, 8)],
        reason="test",
    )
    session.commit()
    return {
        "document": document.id,
        "se_document": se_receipt.id,
        "print_run": se.id,
        "victim": victim.id,
        "token": token.id,
        "draft": draft.id,
        "in_transit": in_transit.id,
        "stocktake": count.document_id,
        "transfer": to_table.document_id,
        "write_off": write_off.document_id,
        "store": world.loc("GB-STORE").id,
        "event": event.id,
        "sale": sale.id,
        "tally": tally.id,
        "remittance": remittance.id,
        "gb": gb,
        "title": world.edition.title_id,
        "edition": world.edition.id,
    }


@pytest.fixture
def clients(app, login, ctx) -> dict:
    made = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        made[role] = login(Role(role), "GB" if role == "treasurer" else None)
    return made


def test_every_route_has_an_expectation_and_a_declared_rule(app, ctx):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - set(expectations(ctx))
    assert not missing, f"routes with no expectation in this test: {sorted(missing)}"
    with app.test_request_context():
        undeclared = [e for e in endpoints if e != "static" and declared(e) is None]
    assert not undeclared, f"routes that declare no access rule: {undeclared}"


def _status(client, method: str, url: str, **kwargs) -> int:
    """The status of a request; the response is closed (static files are streamed)."""
    with client.open(url, method=method, **kwargs) as response:
        return response.status_code


@pytest.mark.slow
def test_route_role_matrix(app, clients, ctx):
    failures = []
    for _endpoint, expect in expectations(ctx).items():
        for role in ROLES:
            client = clients[role]
            got = _status(client, "GET", expect.url)
            if got != expect.get[role]:
                failures.append(f"GET {expect.url} as {role}: {got}, expected {expect.get[role]}")
            token = csrf_token(client, "/login" if role == "anonymous" else "/account/password")
            got = _status(client, "POST", expect.url, data={"csrf_token": token})
            if got != expect.post[role]:
                failures.append(f"POST {expect.url} as {role}: {got}, expected {expect.post[role]}")
    assert not failures, "\n".join(failures)


def test_no_route_answers_500_to_odd_requests(app, clients, ctx):
    """Every route, every role, with junk in the query and the form: never a 500."""
    junk = {
        "edition": "x' OR 1=1",
        "before": "-1",
        "next": "//evil",
        "user": "abc",
        "since": "2024-13-45",
        "email": "\x00",
        "password": "a" * 5000,
    }
    for expect in expectations(ctx).values():
        for role in ROLES:
            client = clients[role]
            joiner = "&" if "?" in expect.url else "?"
            assert _status(client, "GET", expect.url + joiner + urlencode(junk)) < 500

            assert _status(client, "POST", expect.url, data=junk) < 500


def test_a_treasurer_sees_only_their_own_section(clients, ctx, world, session):
    treasurer = clients["treasurer"]
    for url in (
        "/locations/SE-STORE",
        "/locations/WH",
        "/locations/PRINTER",
        f"/documents/{ctx['se_document']}",
        f"/documents/{ctx['print_run']}",
    ):
        response = treasurer.get(url)
        assert response.status_code == 404, url
        assert "Sweden" not in response.get_data(as_text=True)
    se = session.scalar(select(Section.id).where(Section.name == "Sweden"))
    assert treasurer.get(f"/dashboard/sections/{se}").status_code == 404
    for url in (
        "/dashboard",
        f"/dashboard?section={se}",
        "/dashboard?country=SE",
        "/dashboard?format=csv",
        "/dashboard?format=csv&table=weekly",
        "/dashboard?format=csv&table=alerts",
    ):
        response = treasurer.get(url)
        assert response.status_code in (200, 400), url
        assert "Sweden" not in response.get_data(as_text=True), url
    home = treasurer.get("/").get_data(as_text=True)
    assert "Stock of Britain" in home and "Sweden" not in home
    assert "Publisher (warehouse)" not in home and "printed" not in home
    # Its own section's pages answer.
    assert treasurer.get("/locations/GB-EV").status_code == 200
    assert treasurer.get(f"/documents/{ctx['document']}").status_code == 200
    # A coordinator sees every section.
    coordinator = clients["coordinator"]
    assert coordinator.get("/locations/SE-STORE").status_code == 200
    assert "Sweden" in coordinator.get("/").get_data(as_text=True)


def test_a_document_touching_two_sections_shows_to_both_treasurers(world, session, login):
    world.stocked(10)
    document = world.post("dispatch", 4, "GB-STORE", "SE-TRANSIT")
    session.commit()

    assert login(Role.TREASURER, "GB").get(f"/documents/{document.id}").status_code == 200
    assert login(Role.TREASURER, "SE").get(f"/documents/{document.id}").status_code == 200
    moves = session.scalars(select(Move).where(Move.document_id == document.id)).all()
    assert len(moves) == 1
