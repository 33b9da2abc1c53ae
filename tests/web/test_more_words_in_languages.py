"""More of what stayed English whatever the reader's language: the words of a section's
statement in its spreadsheet, the password rules, the error pages, numbers put into the
rules' sentences and lists of alternatives.

Read in Swedish as ``tests/web/test_words_in_languages.py`` reads it: the catalogue as
the app reads it, with a stand-in where it has no translation yet, so that the tests hold
before the catalogues are complete and after."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from babel.support import Translations
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from tests.factories import PASSWORD, csrf_token
from tests.web.test_words_in_languages import _launch, _reads, _sold
from tracker.domain import words
from tracker.domain.accounts import Role
from tracker.domain.text import join_or
from tracker.passwords import problems

CATALOGUES = Path(__file__).resolve().parents[2] / "tracker" / "translations"

STAND_INS: dict[str, str] = {
    "copies": "exemplar",
    "takings": "intäkter",
    "outstanding": "utestående",
    "total": "totalt",
    "received firm": "mottagna fast köp",
    "%(edition)s: %(figure)s": "%(edition)s – %(figure)s",
    "cash": "kontant",
    "The password must have at least %(least)s characters (%(given)s given).": (
        "Lösenordet måste ha minst %(least)s tecken (%(given)s angivna)."
    ),
    "Forbidden": "Förbjudet",
    "Your account may not see this page or do this. Ask an administrator if it should.": (
        "Ditt konto får inte se den här sidan eller göra detta. Fråga en administratör."
    ),
    "Not Found": "Hittades inte",
    "Method Not Allowed": "Metoden är inte tillåten",
    "This address does not accept that kind of request.": (
        "Den här adressen tar inte emot den sortens begäran."
    ),
}


@pytest.fixture
def swedish(app, monkeypatch):
    """Swedish as the app reads it (``STAND_INS`` where the catalogue has nothing yet)."""
    translations = Translations.load(str(CATALOGUES), ["sv"], "messages")
    for message, text in STAND_INS.items():
        translations._catalog.setdefault(message, text)  # type: ignore[attr-defined]
    with app.app_context():
        cache = app.extensions["babel"].instance.domain_instance.cache
    monkeypatch.setitem(cache, ("sv", "messages"), translations)
    return translations


@pytest.fixture
def speaking_swedish(swedish, monkeypatch):
    """The domain speaking Swedish, as a Swedish reader's request has it."""
    from tracker.domain.words import _speaker

    monkeypatch.setattr(_speaker, "gettext", swedish.gettext)
    monkeypatch.setattr(_speaker, "locale", lambda: "sv")
    return swedish


def _text(response) -> str:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return " ".join(soup.get_text(" ").split())


# -- a statement's export ------------------------------------------------------------------------


def test_a_statements_spreadsheet_speaks_swedish_and_its_csv_keeps_its_words(
    swedish, login, session, world
):
    _event, table = _launch(session, world)
    _sold(session, world, table)
    gb = world.loc("GB-STORE").section_id
    treasurer = login(Role.TREASURER, "GB")
    english = treasurer.get(f"/sections/{gb}/statement?format=csv").get_data(as_text=True)
    _reads(treasurer, session, "sv")
    book = load_workbook(io.BytesIO(treasurer.get(f"/sections/{gb}/statement?format=xlsx").data))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    parts = {row[0] for row in rows[1:]}
    for key in ("copies", "takings", "outstanding"):
        assert swedish.gettext(key) in parts, (key, parts)
    assert not {"copies", "takings", "outstanding"} & parts
    items = [row[1] for row in rows[1:]]
    assert swedish.gettext("total") in items
    assert swedish.gettext("cash") in items and "cash" not in items
    figure = swedish.gettext("%(edition)s: %(figure)s") % {
        "edition": "In Defence of Lenin (engelska pocketbok)",
        "figure": swedish.gettext("received firm"),
    }
    assert any(item == figure or swedish.gettext("received firm") in str(item) for item in items)
    assert not any("received firm" in str(item) for item in items)

    # The CSV is the same words in every language (but for what the rules say of each
    # debt and the edition's label, which are said in the reader's language as before).
    text = treasurer.get(f"/sections/{gb}/statement?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["part", "item", "value", "currency"]
    assert ["takings", "cash", "50.00", "GBP"] in rows
    assert any(r[0] == "outstanding" and r[1] == "total" for r in rows)
    assert any(r[0] == "copies" and r[1].endswith(": received firm") for r in rows)
    english_rows = list(csv.reader(io.StringIO(english.lstrip("\ufeff"))))
    assert [r[0] for r in rows] == [r[0] for r in english_rows]


def test_a_statements_spreadsheet_in_english(login, session, world):
    _event, table = _launch(session, world)
    _sold(session, world, table)
    gb = world.loc("GB-STORE").section_id
    treasurer = login(Role.TREASURER, "GB")
    book = load_workbook(io.BytesIO(treasurer.get(f"/sections/{gb}/statement?format=xlsx").data))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert ["takings", "cash", 50, "GBP"] in rows
    assert any(r[0] == "copies" and r[1].endswith(": received firm") for r in rows)
    assert any(r[:2] == ["outstanding", "total"] for r in rows)


# -- the password rules ----------------------------------------------------------------------------


def test_a_short_password_is_refused_in_swedish(swedish, login, session):
    client = login(Role.COORDINATOR)
    _reads(client, session, "sv")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account/password"),
            "current": PASSWORD,
            "new": "short",
            "confirm": "short",
        },
    )
    said = swedish.gettext(
        "The password must have at least %(least)s characters (%(given)s given)."
    ) % {"least": "12", "given": "5"}
    assert said in _text(response)
    assert "must have at least" not in _text(response)


def test_the_password_rules_in_english_are_as_they_were():
    assert problems("short") == ["The password must have at least 12 characters (5 given)."]
    assert problems("x" * 129) == ["The password must have at most 128 characters."]


# -- error pages -----------------------------------------------------------------------------------


def test_error_pages_speak_swedish(swedish, login, session, world):
    treasurer = login(Role.TREASURER, "GB")
    _reads(treasurer, session, "sv")
    forbidden = treasurer.get("/audit")
    assert forbidden.status_code == 403
    text = _text(forbidden)
    assert swedish.gettext("Forbidden") in text
    assert (
        swedish.gettext(
            "Your account may not see this page or do this. Ask an administrator if it should."
        )
        in text
    )
    assert "Forbidden" not in text and "You don't have the permission" not in text
    missing = treasurer.get("/no-such-page")
    assert missing.status_code == 404 and "Not Found" not in _text(missing)
    assert swedish.gettext("Not Found") in _text(missing)
    wrong = treasurer.post("/")
    assert wrong.status_code == 405
    assert swedish.gettext("This address does not accept that kind of request.") in _text(wrong)
    assert "Method Not Allowed" not in _text(wrong)


def test_error_pages_in_english_are_as_they_were(login, world):
    treasurer = login(Role.TREASURER, "GB")
    soup = BeautifulSoup(treasurer.get("/audit").get_data(as_text=True), "html.parser")
    assert soup.h1.get_text().startswith("Forbidden")
    assert "Not Found" in BeautifulSoup(treasurer.get("/nowhere").data, "html.parser").h1.text


def test_programs_read_http_names_in_json(swedish, login, session, world):
    treasurer = login(Role.TREASURER, "GB")
    _reads(treasurer, session, "sv")
    response = treasurer.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


# -- numbers and alternatives in the rules' sentences ---------------------------------------------


def test_numbers_and_alternatives_in_english_are_as_they_were():
    assert words.number(1200) == "1,200"
    assert join_or(["a"]) == "a" and join_or(["a", "b", "c"]) == "a, b or c"
    assert words.one_of(["a", "b", "c"]) == "a, b, c"


def test_numbers_and_alternatives_in_swedish(speaking_swedish):
    assert words.number(1200) == "1\xa0200"
    assert join_or(["a", "b", "c"]) == "a, b eller c"
    assert words.one_of(["a", "b"]) == "a eller b"
    assert problems("x" * 129) == [
        speaking_swedish.gettext("The password must have at most %(most)s characters.")
        % {"most": "128"}
    ]
