"""The reader's language: chosen with the switch (before login and in the account), else
the browser's, else the section's; lang and dir on every page; money typed as the
reader's language writes it."""

from __future__ import annotations

from sqlalchemy import select

from tests.web.forms import page, send
from tracker.models import Section, SectionPrice, User


def _switch(client, code: str, next_path: str = "/login"):
    soup = page(client, next_path)
    token = soup.find("form", class_="language-switch").find("input", {"name": "csrf_token"})
    return client.post(
        "/language", data={"csrf_token": token["value"], "language": code, "next": next_path}
    )


def _sweden(session) -> Section:
    return session.scalars(select(Section).where(Section.name == "Sweden")).one()


def _html(client, path: str, **headers) -> str:
    return client.get(path, headers=headers).get_data(as_text=True)


def test_the_switch_before_login_sets_the_pages_language(app):
    client = app.test_client()
    assert '<html lang="en" dir="ltr"' in _html(client, "/login")
    response = _switch(client, "sv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert '<html lang="sv" dir="ltr"' in _html(client, "/login")


def test_urdu_pages_are_right_to_left(app):
    client = app.test_client()
    _switch(client, "ur")
    assert '<html lang="ur" dir="rtl"' in _html(client, "/login")


def test_the_browsers_language_until_one_is_chosen(app):
    client = app.test_client()
    assert '<html lang="de"' in _html(client, "/login", **{"Accept-Language": "de-CH, en;q=0.5"})
    assert '<html lang="en"' in _html(client, "/login", **{"Accept-Language": "ja, zh"})
    _switch(client, "fr")
    assert '<html lang="fr"' in _html(client, "/login", **{"Accept-Language": "de"})


def test_a_language_that_is_not_there_is_refused_with_a_message(app):
    client = app.test_client()
    response = _switch(client, "xx")
    assert response.status_code == 302
    assert "There is no language &#39;xx&#39; here" in _html(client, "/login")
    assert '<html lang="en"' in _html(client, "/login")


def test_the_account_keeps_the_language_chosen(login, session, world):
    client = login("treasurer", "GB")
    _switch(client, "it", "/events")
    assert session.scalar(select(User.language).where(User.id == client.user.id)) == "it"
    assert '<html lang="it"' in _html(client, "/events", **{"Accept-Language": "en"})


def test_a_section_speaks_its_language_to_its_people_until_they_choose(login, session, world):
    client = login("treasurer", "SE")
    section = _sweden(session)
    section.language = "sv"
    session.flush()
    assert '<html lang="sv"' in _html(client, "/events")


def test_a_price_typed_with_a_decimal_comma_in_swedish(login, session, world):
    client = login("treasurer", "SE")
    section = _sweden(session)
    _switch(client, "sv", f"/sections/{section.id}/prices")
    soup = page(client, f"/sections/{section.id}/prices")
    index = soup.find("input", {"name": "lines-0-edition_id"})
    assert index is not None
    edition_id = int(index["value"])
    response = send(client, f"/sections/{section.id}/prices", {"lines-0-price": "250,00"})
    assert response.status_code in (200, 302), response.status_code
    price = session.scalar(
        select(SectionPrice.price_minor).where(
            SectionPrice.section_id == section.id, SectionPrice.edition_id == edition_id
        )
    )
    assert price == 25000


def test_a_spreadsheet_speaks_the_readers_language_and_csv_keeps_its_keys(login, world):
    """XLSX headings are the reader's; CSV keeps the same column keys for everyone."""
    import io

    from openpyxl import load_workbook

    client = login("distributor")
    _switch(client, "sv", "/shipments/")
    workbook = load_workbook(io.BytesIO(client.get("/shipments/?format=xlsx").data))
    headings = [c.value for c in next(workbook.active.iter_rows(max_row=1))]
    assert "spårningsnummer" in headings and "tracking number" not in headings
    csv_header = client.get("/shipments/?format=csv").get_data(as_text=True).splitlines()[0]
    assert "tracking number" in csv_header
