"""Sections and places, as an admin sets them up through the pages: the admin area's
landing page, sections (new, edit, archive), stores and the warehouse with their
postal addresses (printed on packing slips), and the account form that preselects no
role. Every change is in the audit trail with before and after; bad input in any field
is refused with a message and writes nothing."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from tests.factories import World, csrf_token
from tests.web.forms import errors, form_values, page, send
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError
from tracker.models import AuditEntry, Location, Section, SectionPrice, User
from tracker.services import accounts, places, shipments

NEW_SECTION = {
    "name": "Pakistan (Lal Salaam)",
    "country_code": "PK",
    "currency": "PKR",
    "time_zone": "Asia/Karachi",
    "language": "ur",
    "contact_name": "Lal Salaam office",
    "contact_email": "Office@LalSalaam.example.org",
    "contact_phone": "+92 42 3571 0000",
    "code": "",
    "store_name": "Lahore store",
    "store_address": "Lal Salaam\r\n12 Mall Road\r\nLahore 54000\r\nPakistan",
}


def _audit_count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _section(session, name: str) -> Section | None:
    session.expire_all()
    return session.scalar(select(Section).where(Section.name == name))


def _text(response) -> str:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")


@pytest.fixture
def admin(world: World, login):
    return login(Role.ADMIN)


# -- the landing page and the navigation ---------------------------------------------------------


def test_the_admin_landing_page_lists_every_area(admin, session):
    soup = page(admin, "/admin/")
    areas = soup.select("#admin-areas > li")
    names = [
        (li.find("a", recursive=False) or li.find(class_="area-name")).get_text(strip=True)
        for li in areas
    ]
    assert names == [
        "Accounts",
        "Sections",
        "Places",
        "Catalogue",
        "Import",
        "Alert thresholds",
        "Exchange rates",
        "Dates",
        "Mail",
        "Prices",
    ]
    links = {a.get_text(strip=True): a["href"] for a in soup.select("#admin-areas > li > a")}
    assert links["Accounts"] == "/admin/users"
    assert links["Sections"] == "/admin/sections"
    assert links["Places"] == "/admin/places"
    assert links["Import"] == "/imports/"
    assert links["Alert thresholds"] == "/dashboard/thresholds"
    assert links["Exchange rates"] == "/exchange-rates"
    assert links["Dates"] == "/admin/dating"
    gb = _section(session, "Britain")
    prices = [a["href"] for a in soup.select(".section-links a")]
    assert f"/sections/{gb.id}/prices" in prices and len(prices) == 2
    # One "Admin" link in the navigation stands for all of them.
    nav = [a.get_text(strip=True) for a in soup.select("header nav ul")[1].find_all("a")]
    assert "Admin" in nav and "Accounts" not in nav and "Dates" not in nav
    # The old addresses still answer.
    assert admin.get("/admin/users").status_code == 200
    assert admin.get("/admin/dating").status_code == 200


def test_the_landing_page_leads_to_the_catalogue_and_the_mail_queue(world, login):
    soup = page(login(Role.ADMIN), "/admin/")
    links = {a.get_text(strip=True): a["href"] for a in soup.select("#admin-areas > li > a")}
    assert links["Catalogue"] == "/admin/catalogue"
    assert links["Mail"] == "/admin/mail"


@pytest.mark.parametrize("role", [Role.DISTRIBUTOR, Role.COORDINATOR, Role.TREASURER])
def test_only_admins_see_the_admin_link(world, login, role):
    client = login(role, "GB" if role == Role.TREASURER else None)
    soup = page(client, "/")
    nav = [a.get_text(strip=True) for a in soup.select("header nav ul")[1].find_all("a")]
    assert "Admin" not in nav
    assert client.get("/admin/").status_code == 403


# -- sections ------------------------------------------------------------------------------------


def test_an_admin_makes_a_section_with_its_store_and_address(admin, session):
    before = _audit_count(session)
    response = send(admin, "/admin/sections/new", NEW_SECTION, selector="form.section-form")
    assert response.status_code == 302, errors(response)
    section = _section(session, "Pakistan (Lal Salaam)")
    assert response.headers["Location"] == f"/admin/sections/{section.id}/edit"
    assert (section.country_code, section.currency, section.time_zone, section.language) == (
        "PK",
        "PKR",
        "Asia/Karachi",
        "ur",
    )
    assert section.contact_email == "office@lalsalaam.example.org"
    assert section.contact_phone == "+92 42 3571 0000" and not section.archived
    codes = sorted(loc.code for loc in section.locations)
    assert codes == ["PK-CUSTOMERS", "PK-STOCKTAKE", "PK-STORE", "PK-TRANSIT", "PK-WRITTEN-OFF"]
    store = places.store_of(section)
    assert store.name == "Lahore store"
    assert store.address == "Lal Salaam\n12 Mall Road\nLahore 54000\nPakistan"
    # In the audit trail, by the admin, with what was made.
    made = session.scalar(
        select(AuditEntry).where(
            AuditEntry.kind == "section.created", AuditEntry.object_id == str(section.id)
        )
    )
    assert made.user_id == admin.user.id
    assert made.after["time_zone"] == "Asia/Karachi" and made.after["currency"] == "PKR"
    store_made = session.scalar(
        select(AuditEntry).where(
            AuditEntry.kind == "location.created", AuditEntry.object_id == str(store.id)
        )
    )
    assert store_made.after["address"].startswith("Lal Salaam\n")
    assert _audit_count(session) > before
    # The list shows it, its country named, its language, no treasurer yet.
    listing = _text(admin.get("/admin/sections"))
    assert "Pakistan (Lal Salaam)" in listing and "Asia/Karachi" in listing
    assert "اردو" in listing or "Urdu" in listing


def test_the_section_form_offers_countries_currencies_zones_and_languages(admin):
    soup = page(admin, "/admin/sections/new")
    country = soup.find("select", attrs={"name": "country_code"})
    options = {o["value"]: o.get_text() for o in country.find_all("option")}
    assert options[""] == "Choose…" and options["SE"] == "Sweden" and options["PK"] == "Pakistan"
    assert "EU" not in options and "ZZ" not in options and len(options) == 250
    currency = soup.find("select", attrs={"name": "currency"})
    assert "SEK · Swedish Krona" in currency.get_text()
    zone = soup.find("select", attrs={"name": "time_zone"})
    assert zone.find("optgroup", attrs={"label": "Asia"}).find(
        "option", attrs={"value": "Asia/Karachi"}
    )
    language = soup.find("select", attrs={"name": "language"})
    assert {o["value"] for o in language.find_all("option")} >= {"en", "sv", "ur", "es"}
    # Nothing is chosen for the admin.
    for select_ in (country, currency, zone, language):
        assert select_.find("option", selected=True) is None


def test_country_names_are_in_the_readers_language(admin):
    admin.post("/language", data={"language": "sv", "csrf_token": csrf_token(admin, "/")})
    soup = page(admin, "/admin/sections/new")
    country = soup.find("select", attrs={"name": "country_code"})
    options = {o["value"]: o.get_text() for o in country.find_all("option")}
    assert options["SE"] == "Sverige" and options["DE"] == "Tyskland"


SPOILED = [
    ("name", "", "Give the section's name."),
    ("name", "x" * 201, "Field cannot be longer than 200 characters."),
    ("name", "a\x00b", "control character"),
    ("name", "britain", "There is already a section called britain."),
    ("country_code", "", "Choose the country."),
    ("country_code", "XX", "'XX' is not an ISO 3166-1 alpha-2 country code"),
    ("country_code", "EU", "'EU' is not an ISO 3166-1 alpha-2 country code"),
    ("country_code", "x" * 5000, "Field cannot be longer than 64 characters."),
    ("country_code", "P\x00", "'P\\x00' is not an ISO 3166-1 alpha-2 country code"),
    ("currency", "", "Choose the currency."),
    ("currency", "ABC", "'ABC' is not an ISO 4217 currency code"),
    ("time_zone", "", "Choose the time zone."),
    ("time_zone", "Mars/Olympus", "'Mars/Olympus' is not a time zone"),
    ("time_zone", "Asia/Karachi\x00", "'Asia/Karachi\\x00' is not a time zone"),
    ("language", "", "Choose the language."),
    ("language", "xx", "'xx' is not one of the tracker's languages"),
    ("contact_name", "x" * 201, "Field cannot be longer than 200 characters."),
    ("contact_name", "a\x0bb", "control character"),
    ("contact_email", "not an address", "The contact's email 'not an address' is not an email"),
    ("contact_email", "a@b.c\x00", "control character"),
    ("contact_phone", "call me", "The contact's phone 'call me' is not a telephone number"),
    ("contact_phone", "1" * 41, "Field cannot be longer than 40 characters."),
    ("code", "gb store!", "Location code 'gb store!' must be 1 to 40 capital letters"),
    ("code", "GB", "The code GB is taken (there is already a location GB-"),
    ("code", "x" * 31, "Field cannot be longer than 30 characters."),
    ("store_name", "a\x00b", "control character"),
    ("store_address", "x" * 1001, "Field cannot be longer than 1000 characters."),
    ("store_address", "line\x00", "control character"),
]


@pytest.mark.parametrize(("name", "value", "message"), SPOILED)
def test_a_spoiled_field_is_refused_and_writes_nothing(admin, session, name, value, message):
    before = _audit_count(session)
    sections = session.scalar(select(func.count()).select_from(Section))
    response = send(
        admin, "/admin/sections/new", {**NEW_SECTION, name: value}, selector="form.section-form"
    )
    assert response.status_code == 422
    assert any(message in e for e in errors(response)), errors(response)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Section)) == sections
    assert _audit_count(session) == before


def test_an_admin_edits_a_section_and_the_audit_says_before_and_after(admin, session):
    se = _section(session, "Sweden")
    url = f"/admin/sections/{se.id}/edit"
    response = send(
        admin,
        url,
        {
            "name": "Sweden (RKP)",
            "country_code": "SE",
            "currency": "SEK",
            "time_zone": "Europe/Stockholm",
            "language": "sv",
            "contact_name": "RKP",
            "contact_email": "",
            "contact_phone": "",
        },
        selector="form.section-form",
    )
    assert response.status_code == 302, errors(response)
    se = _section(session, "Sweden (RKP)")
    assert (se.time_zone, se.language, se.contact_name) == ("Europe/Stockholm", "sv", "RKP")
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.kind == "section.updated", AuditEntry.object_id == str(se.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.user_id == admin.user.id
    assert entry.before["name"] == "Sweden" and entry.after["name"] == "Sweden (RKP)"
    assert entry.before["time_zone"] == "UTC" and entry.after["time_zone"] == "Europe/Stockholm"
    assert entry.before["contact_name"] is None and entry.after["contact_name"] == "RKP"
    # A spoiled edit writes nothing.
    before = _audit_count(session)
    response = send(admin, url, {"time_zone": "Nowhere/Land"}, selector="form.section-form")
    assert response.status_code == 422
    assert any("'Nowhere/Land' is not a time zone" in e for e in errors(response))
    assert _audit_count(session) == before
    assert admin.get("/admin/sections/424242/edit").status_code == 404


def test_the_edit_page_lists_treasurers_and_links_a_new_one(admin, make_user, session):
    treasurer = make_user(Role.TREASURER, "GB")
    gb = _section(session, "Britain")
    soup = page(admin, f"/admin/sections/{gb.id}/edit")
    links = {a["href"] for a in soup.select("#treasurers a")}
    assert f"/admin/users/{treasurer.id}/edit" in links
    new = f"/admin/users/new?role=treasurer&section={gb.id}"
    assert new in links
    form = page(admin, new).find("main").find("form")
    values = form_values(form)
    assert (values["role"], values["section_id"]) == ("treasurer", str(gb.id))
    assert soup.select_one("#stores a")["href"].endswith("/edit")


def test_the_currency_is_fixed_once_money_is_recorded(admin, world, session):
    gb = _section(session, "Britain")
    se = _section(session, "Sweden")
    values = {"country_code": "GB", "currency": "EUR", "time_zone": "UTC", "language": "en"}
    # No amount yet in Sweden: its currency may still change.
    response = send(
        admin,
        f"/admin/sections/{se.id}/edit",
        {**values, "name": "Sweden", "country_code": "SE", "currency": "EUR"},
        selector="form.section-form",
    )
    assert response.status_code == 302, errors(response)
    assert _section(session, "Sweden").currency == "EUR"
    session.add(SectionPrice(section_id=gb.id, edition_id=world.edition.id, price_minor=2000))
    session.commit()
    assert "Fixed: amounts are already recorded in GBP." in _text(
        admin.get(f"/admin/sections/{gb.id}/edit")
    )
    response = send(
        admin,
        f"/admin/sections/{gb.id}/edit",
        {**values, "name": "Britain"},
        selector="form.section-form",
    )
    assert response.status_code == 422
    assert any(
        "The currency of Britain cannot change from GBP to EUR" in e for e in errors(response)
    )
    # A currency spoiled on the form is said on its field, the page whole around it.
    for spoiled, message in (("", "Choose the currency."), ("abc", "'abc' is not an ISO 4217")):
        response = send(
            admin,
            f"/admin/sections/{gb.id}/edit",
            {**values, "name": "Britain", "currency": spoiled},
            selector="form.section-form",
        )
        assert response.status_code == 422
        assert any(message in e for e in errors(response)), errors(response)
        assert "Contact" in _text(response)
    assert _section(session, "Britain").currency == "GBP"


def _choices(client, url: str, name: str) -> set[str]:
    soup = page(client, url)
    return {
        o.get_text(strip=True) for o in soup.find("select", attrs={"name": name}).find_all("option")
    }


def test_an_archived_section_is_offered_nowhere_new(app, admin, world, session, login):
    se = _section(session, "Sweden")
    staff = login(Role.DISTRIBUTOR)
    assert "Sweden" in _choices(staff, "/shipments/new", "section_id")
    response = admin.post(
        f"/admin/sections/{se.id}/archive",
        data={"csrf_token": csrf_token(admin, "/admin/sections")},
        follow_redirects=True,
    )
    assert "Section Sweden archived" in _text(response)
    assert _section(session, "Sweden").archived
    archived = session.scalars(
        select(AuditEntry).where(
            AuditEntry.kind == "section.updated", AuditEntry.object_id == str(se.id)
        )
    ).all()[-1]
    assert (archived.before, archived.after) == ({"archived": False}, {"archived": True})
    # Not a destination for a shipment, nor a section for an event or a new account.
    assert "Sweden" not in _choices(staff, "/shipments/new", "section_id")
    assert "Britain" in _choices(staff, "/shipments/new", "section_id")
    assert "Sweden" not in _choices(admin, "/events/new", "section_id")
    assert "Sweden" not in _choices(admin, "/admin/users/new", "section_id")
    assert "SE-STORE" not in _text(admin.get("/transfers/new"))
    # A form sent anyway (an old page) is refused by the rules.
    with pytest.raises(DomainError, match="Section Sweden is archived"):
        shipments.create(
            session,
            None,
            direction="outbound",
            section_id=se.id,
            lines=[shipments.LineInput(world.edition.id, 1, "1")],
        )
    session.rollback()
    with pytest.raises(DomainError, match="Section Sweden is archived"):
        accounts.create_user(
            session,
            app.extensions["tracker.hasher"],
            email="x@example.org",
            role="treasurer",
            section_id=se.id,
        )
    session.rollback()
    # Its history and reports stay.
    assert "Sweden" in _text(admin.get("/dashboard"))
    assert "Sweden" in _choices(staff, "/shipments/", "section")
    # And it comes back.
    admin.post(
        f"/admin/sections/{se.id}/unarchive",
        data={"csrf_token": csrf_token(admin, "/admin/sections")},
    )
    assert not _section(session, "Sweden").archived
    assert "Sweden" in _choices(staff, "/shipments/new", "section_id")


def test_a_section_holding_copies_is_not_archived(admin, world, session):
    world.stocked(5, store="SE-STORE")
    session.commit()
    se = _section(session, "Sweden")
    before = _audit_count(session)
    response = admin.post(
        f"/admin/sections/{se.id}/archive",
        data={"csrf_token": csrf_token(admin, "/admin/sections")},
        follow_redirects=True,
    )
    assert "Sweden still holds 5 copies" in _text(response)
    assert not _section(session, "Sweden").archived
    assert _audit_count(session) == before
    # Nor one with a shipment under way.
    gb = _section(session, "Britain")
    world.printed(5)
    shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb.id,
        lines=[shipments.LineInput(world.edition.id, 1, "1")],
    )
    session.commit()
    response = admin.post(
        f"/admin/sections/{gb.id}/archive",
        data={"csrf_token": csrf_token(admin, "/admin/sections")},
        follow_redirects=True,
    )
    assert "of Britain is not finished" in _text(response)


# -- places --------------------------------------------------------------------------------------


def test_places_list_the_warehouse_and_the_stores(admin, session):
    soup = page(admin, "/admin/places")
    text = soup.get_text(" ")
    assert "Warehouse" in text and "Britain store" in text and "Sweden store" in text
    assert "GB-EV" not in text and "GB-TRANSIT" not in text  # an event's table, a virtual place


def test_the_warehouses_address_and_a_new_store(admin, world, session):
    warehouse = world.loc("WH")
    response = send(
        admin,
        f"/admin/places/{warehouse.id}/edit",
        {"address": "Wellred Books\nPO Box 50525\nLondon E14 6WG"},
    )
    assert response.status_code == 302, errors(response)
    session.expire_all()
    assert world.loc("WH").address == "Wellred Books\nPO Box 50525\nLondon E14 6WG"
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.kind == "location.updated", AuditEntry.object_id == str(warehouse.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.before == {"address": None}
    assert entry.after == {"address": "Wellred Books\nPO Box 50525\nLondon E14 6WG"}
    gb = _section(session, "Britain")
    response = send(
        admin,
        f"/admin/places/new?section={gb.id}",
        {"name": "Glasgow store", "code": "gb-glasgow", "address": "Glasgow"},
    )
    assert response.status_code == 302, errors(response)
    store = world.loc("GB-GLASGOW")
    assert (store.section_id, store.kind, store.address) == (gb.id, "section_store", "Glasgow")
    # Archived, no shipment goes there; the last open store stays open.
    token = csrf_token(admin, "/admin/places")
    admin.post(f"/admin/places/{store.id}/archive", data={"csrf_token": token})
    session.expire_all()
    assert not world.loc("GB-GLASGOW").active
    first = world.loc("GB-STORE")
    response = admin.post(
        f"/admin/places/{first.id}/archive", data={"csrf_token": token}, follow_redirects=True
    )
    assert "is the last open store of Britain" in _text(response)
    session.expire_all()
    assert world.loc("GB-STORE").active
    response = admin.post(
        f"/admin/places/{warehouse.id}/archive", data={"csrf_token": token}, follow_redirects=True
    )
    assert "The warehouse cannot be archived." in _text(response)
    admin.post(f"/admin/places/{store.id}/reopen", data={"csrf_token": token})
    session.expire_all()
    assert world.loc("GB-GLASGOW").active
    # Only the warehouse and stores are edited here.
    assert admin.get(f"/admin/places/{world.loc('GB-EV').id}/edit").status_code == 404
    assert admin.get(f"/admin/places/{world.loc('GB-TRANSIT').id}/edit").status_code == 404


PLACE_SPOILED = [
    ("name", "", "Give its name."),
    ("name", "x" * 201, "Field cannot be longer than 200 characters."),
    ("name", "a\x00", "control character"),
    ("code", "", "Give its code."),
    ("code", "SE-STORE", "There is already a location with the code SE-STORE."),
    ("code", "no spaces", "Location code 'no spaces' must be 1 to 40 capital letters"),
    ("code", "x" * 41, "Field cannot be longer than 40 characters."),
    ("address", "x" * 1001, "Field cannot be longer than 1000 characters."),
    ("address", "a\x00", "control character"),
    ("section_id", "", "Choose the section."),
    ("section_id", "424242", "Not a valid choice"),
    ("section_id", "abc", "Choose the section."),
]


@pytest.mark.parametrize(("name", "value", "message"), PLACE_SPOILED)
def test_a_spoiled_store_is_refused_and_writes_nothing(admin, session, name, value, message):
    gb = _section(session, "Britain")
    before = _audit_count(session)
    locations = session.scalar(select(func.count()).select_from(Location))
    response = send(
        admin,
        "/admin/places/new",
        {"section_id": gb.id, "name": "Another", "code": "GB-2", "address": "", name: value},
    )
    assert response.status_code == 422
    assert any(message in e for e in errors(response)), errors(response)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Location)) == locations
    assert _audit_count(session) == before


def test_the_packing_slip_shows_the_stores_address(admin, world, session, login):
    world.printed(10)
    gb = _section(session, "Britain")
    store = world.loc("GB-STORE")
    send(
        admin,
        f"/admin/places/{store.id}/edit",
        {"address": "RCP\nPO Box 50525\nLondon E14 6WG"},
    )
    shipment = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb.id,
        lines=[shipments.LineInput(world.edition.id, 3, "12.50")],
    )
    session.commit()
    slip = page(login(Role.DISTRIBUTOR), f"/shipments/{shipment.id}/packing-slip")
    addresses = [a.get_text() for a in slip.find_all("address")]
    assert "RCP\nPO Box 50525\nLondon E14 6WG" in addresses
    # The warehouse has none yet: the slip says so.
    assert "(no address on file)" in addresses


# -- the account form ----------------------------------------------------------------------------


def test_the_new_account_form_preselects_no_role(admin, session):
    soup = page(admin, "/admin/users/new")
    role = soup.find("select", attrs={"name": "role"})
    assert role.find("option", selected=True) is None
    assert role.find("option")["value"] == "" and role.find("option").get_text() == "Choose…"
    section = soup.find("select", attrs={"name": "section_id"})
    chosen = section.find("option", selected=True)
    assert chosen is None or (chosen["value"], chosen.get_text()) == ("", "Choose…")
    count = session.scalar(select(func.count()).select_from(User))
    # Sent as shown (role and section left alone): refused, on both fields.
    response = send(admin, "/admin/users/new", {"email": "new@example.org"})
    assert response.status_code == 422
    found = errors(response)
    assert "Choose the role." in found
    assert any("Choose the section" in e for e in found)
    assert session.scalar(select(func.count()).select_from(User)) == count


def test_a_section_for_treasurers_only(admin, session):
    gb = _section(session, "Britain")
    cases = [
        ({"role": "treasurer", "section_id": "none"}, "A treasurer belongs to one section"),
        (
            {"role": "coordinator", "section_id": str(gb.id)},
            "Only a treasurer belongs to a section",
        ),
        ({"role": "admin", "section_id": ""}, "Choose the section"),
        ({"role": "", "section_id": "none"}, "Choose the role."),
    ]
    for data, message in cases:
        response = send(admin, "/admin/users/new", {"email": "new@example.org", **data})
        assert response.status_code == 422, data
        assert any(message in e for e in errors(response)), (data, errors(response))
    response = send(
        admin,
        "/admin/users/new",
        {"email": "new@example.org", "role": "coordinator", "section_id": "none"},
    )
    assert response.status_code == 200
    user = session.scalar(select(User).where(User.email == "new@example.org"))
    assert (user.role, user.section_id) == ("coordinator", None)


def test_the_last_active_admin_is_neither_demoted_nor_deactivated(session, make_user):
    only = make_user(Role.ADMIN)
    # No other admin: the system itself (a command) may not leave none.
    for change in (
        lambda: accounts.update_user(
            session, None, only.id, email=only.email, name=None, role="coordinator", section_id=None
        ),
        lambda: accounts.set_active(session, None, only.id, False),
    ):
        with pytest.raises(DomainError, match="is the last active admin"):
            change()
        session.rollback()
    # A deactivated admin does not count.
    other = make_user(Role.ADMIN)
    accounts.set_active(session, None, other.id, False)
    with pytest.raises(DomainError, match="is the last active admin"):
        accounts.update_user(
            session, None, only.id, email=only.email, name=None, role="distributor", section_id=None
        )
    session.rollback()
    # With another active admin, either may go.
    accounts.set_active(session, None, other.id, True)
    accounts.update_user(
        session, None, only.id, email=only.email, name=None, role="distributor", section_id=None
    )
    with pytest.raises(DomainError, match="is the last active admin"):
        accounts.set_active(session, None, other.id, False)


def test_an_admin_alone_is_refused_through_the_pages(admin, session):
    me = admin.user
    before = _audit_count(session)
    response = send(
        admin,
        f"/admin/users/{me.id}/edit",
        {"role": "coordinator", "section_id": "none"},
    )
    assert response.status_code == 422
    assert any("You cannot take the admin role from yourself." in e for e in errors(response))
    response = admin.post(
        f"/admin/users/{me.id}/deactivate",
        data={"csrf_token": csrf_token(admin, "/admin/users")},
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in _text(response)
    session.expire_all()
    assert session.get(User, me.id).role == "admin" and session.get(User, me.id).active
    assert _audit_count(session) == before


def test_a_sections_own_old_zone_stays_chosen(admin, session):
    se = _section(session, "Sweden")
    gb = _section(session, "Britain")
    se.time_zone = "Europe/Stockholm"
    gb.time_zone = "GB"  # an old alias, set from the command line
    session.commit()
    soup = page(admin, f"/admin/sections/{gb.id}/edit")
    zone = soup.find("select", attrs={"name": "time_zone"})
    assert zone.find("option", selected=True)["value"] == "GB"
    assert zone.find("option", attrs={"value": "UTC"}).parent.name == "select"
    soup = page(admin, f"/admin/sections/{se.id}/edit")
    chosen = soup.find("select", attrs={"name": "time_zone"}).find("option", selected=True)
    assert (chosen["value"], chosen.parent["label"]) == ("Europe/Stockholm", "Europe")
    # Sent back as shown, nothing changes but what was typed.
    response = send(admin, f"/admin/sections/{gb.id}/edit", {}, selector="form.section-form")
    assert response.status_code == 302, errors(response)
    assert _section(session, "Britain").time_zone == "GB"
