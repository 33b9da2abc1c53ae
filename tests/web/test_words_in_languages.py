"""What used to stay English whatever the reader's language: the name of a field a rule
puts in its sentence, a month's name, an edition's language and format, the words of an
event report's spreadsheet; and an edition's own title beside its label.

The catalogues are translated after these words are added, so a test reads Swedish
through ``swedish``: the catalogue as the app reads it, with a stand-in where it has no
translation yet (once it has one, the catalogue's own is what the test expects). So the
tests hold before the catalogues are complete and after."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from babel.support import Translations
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import World, csrf_token
from tests.web.forms import page
from tracker.db import utcnow
from tracker.domain.accounts import Role
from tracker.models import Section
from tracker.services import catalogue, closing, sales

CATALOGUES = Path(__file__).resolve().parents[2] / "tracker" / "translations"

# Swedish for the messages these tests read, where the catalogue has none yet.
STAND_INS: dict[str | tuple[str, int], str] = {
    "the buyer's name": "köparens namn",
    "%(what)s is longer than %(limit)s characters.": "%(what)s är längre än %(limit)s tecken.",
    "the dedication": "dedikationen",
    "paperback": "pocketbok",
    "%(title)s (%(language)s %(format)s)": "%(title)s (%(format)s på %(language)s)",
    "brought": "hämtade till bordet",
    "returned to the store": "tillbaka till förrådet",
    "takings": "intäkter",
    "sale": "försäljning",
    ("%(n)s copy, %(total)s, %(payment)s", 0): "%(n)s exemplar, %(total)s, %(payment)s",
    ("%(n)s copy, %(total)s, %(payment)s", 1): "%(n)s exemplar, %(total)s, %(payment)s",
}
# The English a Swedish page must not show once it says the words above.
ENGLISH = ("buyer's name", "dedication", "paperback", "Spanish", "brought", "takings")


@pytest.fixture
def swedish(app, monkeypatch):
    """Swedish as the app reads it (``STAND_INS`` where the catalogue has nothing yet);
    gives the catalogue's ``gettext`` and ``ngettext``."""
    translations = Translations.load(str(CATALOGUES), ["sv"], "messages")
    for message, text in STAND_INS.items():
        translations._catalog.setdefault(message, text)  # type: ignore[attr-defined]
    with app.app_context():  # the domain is made once, as the app's first request would
        cache = app.extensions["babel"].instance.domain_instance.cache
    monkeypatch.setitem(cache, ("sv", "messages"), translations)
    return translations


def _reads(client, session, code: str) -> None:
    """The client's account reads ``code``."""
    client.user.language = code
    session.flush()


def _text(response) -> str:
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return " ".join(soup.get_text(" ").split())


def _launch(session, world: World) -> tuple[int, int]:
    """Britain's launch, with 10 copies on its table since yesterday: (event, table)."""
    world.stocked(100)
    event = world.launch({world.edition: 10}, at=utcnow() - timedelta(days=1))
    session.commit()
    return event.id, event.location_id


# -- a field's name in a rule's sentence ---------------------------------------------------------


def _sell_to_a_long_name(treasurer, table: int, world: World) -> dict:
    """One sale at ``table`` whose buyer's name is one character too long: its result."""
    sale = {
        "key": str(uuid.uuid4()),
        "payment": "cash",
        "lines": [{"edition": world.edition.id, "condition": "unsigned", "qty": 1}],
        "buyer": "x" * 201,
    }
    response = treasurer.post(
        f"/places/{table}/sales",
        json={"sales": [sale]},
        headers={"Accept": "application/json", "X-CSRFToken": csrf_token(treasurer, "/")},
    )
    (result,) = response.get_json()["results"]
    return result


def test_a_too_long_buyers_name_is_refused_in_swedish(swedish, login, session, world):
    """The sale screen's outbox sends a sale whose buyer's name is too long: the refusal
    is one Swedish sentence, the field's name in Swedish too."""
    _event, table = _launch(session, world)
    treasurer = login(Role.TREASURER, "GB")
    _reads(treasurer, session, "sv")
    result = _sell_to_a_long_name(treasurer, table, world)
    assert result["status"] == "refused"
    said = swedish.gettext("%(what)s is longer than %(limit)s characters.") % {
        "what": swedish.gettext("the buyer's name"),
        "limit": "200",
    }
    assert result["error"]["detail"] == said[0].upper() + said[1:]
    assert "buyer's name" not in result["error"]["detail"]


def test_the_same_refusal_in_english_is_as_it_was(login, session, world):
    _event, table = _launch(session, world)
    treasurer = login(Role.TREASURER, "GB")
    result = _sell_to_a_long_name(treasurer, table, world)
    assert result["error"]["detail"] == "The buyer's name is longer than 200 characters."


def test_a_too_long_dedication_is_refused_on_the_page_in_swedish(swedish, login, session, world):
    event_id, _table = _launch(session, world)
    treasurer = login(Role.TREASURER, "GB")
    _reads(treasurer, session, "sv")
    soup = page(treasurer, f"/events/{event_id}/signing")
    form = soup.find("input", {"name": "authors"}) or soup.find("select", {"name": "authors"})
    author = form.find("option")["value"] if form.name == "select" else form["value"]
    response = treasurer.post(
        f"/events/{event_id}/signing",
        data={
            "csrf_token": soup.find("input", {"name": "csrf_token"})["value"],
            "submission_key": soup.find("input", {"name": "submission_key"})["value"],
            "edition_id": str(world.edition.id),
            "authors": author,
            "qty": "1",
            "dedications": "y" * 201,
        },
    )
    assert response.status_code == 422
    said = swedish.gettext("%(what)s is longer than %(limit)s characters.") % {
        "what": swedish.gettext("the dedication"),
        "limit": "200",
    }
    text = _text(response)
    assert said[0].upper() + said[1:] in text
    assert "dedication is longer" not in text


# -- months --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "february"), [("en", "February 2024"), ("sv", "februari 2024"), ("ur", "فروری 2024")]
)
def test_a_closed_month_is_named_in_the_readers_language(login, session, world, code, february):
    britain = session.scalars(select(Section).where(Section.name == "Britain")).one()
    closing.close_month(session, None, britain.id, date(2024, 2, 1))
    session.commit()
    admin = login(Role.ADMIN)
    _reads(admin, session, code)
    table = page(admin, "/admin/dating").find("table", id="closed-months")
    assert february in table.get_text(" ", strip=True)
    if code != "en":
        assert "February" not in table.get_text()


# -- an edition's label and its own title ---------------------------------------------------------


def test_an_editions_label_is_one_swedish_pattern(swedish, login, session, world):
    world.printed(50, edition=world.edition_es)
    session.commit()
    coordinator = login(Role.COORDINATOR)
    _reads(coordinator, session, "sv")
    balances = page(coordinator, "/locations/WH").find("table", id="balances")
    label = swedish.gettext("%(title)s (%(language)s %(format)s)") % {
        "title": "In Defence of Lenin",
        "language": "spanska",  # Babel's (CLDR) name of Spanish in Swedish
        "format": swedish.gettext("paperback"),
    }
    assert label in balances.get_text(" ", strip=True)
    assert "Spanish" not in balances.get_text() and "paperback" not in balances.get_text()


def test_an_editions_own_title_is_shown_on_a_stock_page(login, session, world):
    """The own title in small text under the label, in its language, isolated from the
    page's direction; where countries are compared, first, the label beside it."""
    world.edition_es.own_title = "En defensa de Lenin"
    world.printed(50, edition=world.edition_es)
    session.commit()
    coordinator = login(Role.COORDINATOR)
    balances = page(coordinator, "/locations/WH").find("table", id="balances")
    own = balances.find("small", class_="own-title")
    assert own.get_text() == "En defensa de Lenin"
    assert own["lang"] == "es" and own["dir"] == "auto"
    soup = page(coordinator, f"/?edition={world.edition_es.id}")
    heading = soup.find("hgroup").find("p")
    assert heading.find(class_="own-title").get_text() == "En defensa de Lenin"
    assert heading.get_text(" ", strip=True).startswith(
        "En defensa de Lenin · In Defence of Lenin (Spanish paperback)"
    )
    option = soup.find("select", id="edition").find("option", selected=True)
    assert option.get_text().startswith(
        "\u2068En defensa de Lenin\u2069 · \u2068In Defence of Lenin\u2069 (Spanish paperback)"
    )
    # Only the edition's own: an edition without one shows its label alone.
    english = page(coordinator, f"/?edition={world.edition.id}").find("hgroup")
    assert english.find(class_="own-title") is None


def test_an_urdu_edition_on_an_urdu_stock_page(login, session, world):
    """In Urdu (right to left): the language's name in Urdu, the own title in its
    script, the ISBN left to right."""
    title = catalogue.create_title(
        session, name="Bolshevism: The Road to Revolution", authors=["Alan Woods"]
    )
    urdu = catalogue.create_edition(
        session,
        title=title,
        isbn="9789697534005",
        language="ur",
        format="paperback",
        list_price="800",
        currency="PKR",
    )
    urdu.own_title = "بالشویزم: انقلاب کا راستہ"
    world.printed(20, edition=urdu)
    session.commit()
    coordinator = login(Role.COORDINATOR)
    _reads(coordinator, session, "ur")
    soup = page(coordinator, "/locations/WH")
    assert soup.html["dir"] == "rtl"
    row = next(
        tr for tr in soup.find("table", id="balances").find_all("tr") if "Bolshevism" in tr.text
    )
    own = row.find(class_="own-title")
    assert own.get_text() == "بالشویزم: انقلاب کا راستہ" and own["lang"] == "ur"
    assert "اردو" in row.get_text()  # Urdu, named in Urdu (CLDR)
    isbn = row.find(class_="isbn")
    assert isbn["dir"] == "ltr" and isbn.get_text() == urdu.isbn_display


def test_the_sale_screen_names_the_format_in_the_readers_language(swedish, login, session, world):
    event_id, _table = _launch(session, world)
    treasurer = login(Role.TREASURER, "GB")
    _reads(treasurer, session, "sv")
    tile = page(treasurer, f"/events/{event_id}/sell").find(class_="tile-sub")
    assert swedish.gettext("paperback") in tile.get_text()
    assert "paperback" not in tile.get_text()


# -- the words of an event report's export -----------------------------------------------------


def _sold(session, world: World, table: int) -> None:
    sales.sell(
        session,
        None,
        location_id=table,
        items=[sales.SaleItem(world.edition.id, 2)],
        payment_method="cash",
    )
    session.commit()


def test_an_event_reports_spreadsheet_speaks_swedish_and_its_csv_keeps_its_keys(
    swedish, login, session, world
):
    event_id, table = _launch(session, world)
    _sold(session, world, table)
    treasurer = login(Role.TREASURER, "GB")
    _reads(treasurer, session, "sv")
    book = load_workbook(io.BytesIO(treasurer.get(f"/events/{event_id}/report?format=xlsx").data))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    words = [row[0] for row in rows[1:]]
    for key in ("brought", "returned to the store", "takings", "sale"):
        assert swedish.gettext(key) in words, (key, words)
    assert not {"brought", "takings", "sale"} & set(words)
    takings = next(row for row in rows if row[0] == swedish.gettext("takings") and row[2])
    assert takings[1] == swedish.gettext("cash")  # the payment, in Swedish
    (sale,) = [row for row in rows if row[0] == swedish.gettext("sale")]
    assert sale[2] == swedish.ngettext(
        "%(n)s copy, %(total)s, %(payment)s", "%(n)s copies, %(total)s, %(payment)s", 2
    ) % {"n": "2", "total": "50,00\xa0GBP", "payment": swedish.gettext("cash")}

    text = treasurer.get(f"/events/{event_id}/report?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["what", "detail", "value"]
    assert ["brought", "", "10"] in rows and ["takings", "cash", "50.00"] in rows
    (sale,) = [row for row in rows if row[0] == "sale"]
    assert sale[2] == "2 copies, 50.00 GBP, cash"


def test_an_event_reports_spreadsheet_in_english(login, session, world):
    event_id, table = _launch(session, world)
    _sold(session, world, table)
    treasurer = login(Role.TREASURER, "GB")
    book = load_workbook(io.BytesIO(treasurer.get(f"/events/{event_id}/report?format=xlsx").data))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert ["brought", None, 10] in rows
    (sale,) = [row for row in rows if row[0] == "sale"]
    assert sale[2] == "2 copies, £50.00, cash"


# -- every new word is there for the translators -------------------------------------------------


def test_the_words_are_marked_for_the_catalogues():
    """What ``pybabel extract`` (README: Languages) takes into the catalogues."""
    from tests.unit.test_translations import SOURCES

    for message in [m for m in STAND_INS if isinstance(m, str)] + [
        "%(n)s copy, %(total)s, %(payment)s",
        "hardback",
        "the note",
        "a price per copy",
        "the count",
        "copies received",
        "There is no sale %(id)s.",
        "%(language)s %(format)s",
        "section %(name)s",
        "the publisher",
        "%(edition)s, ISBN %(isbn)s",
    ]:
        assert message in SOURCES, message


# -- the address a request came to -----------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "where"),
    [("/stock?edition=%01", "edition= argument"), ("/stock?%01=1", "query"), ("/st%01ock", "path")],
)
def test_a_control_character_in_the_address_is_named_by_where_it_is(login, address, where):
    response = login(Role.COORDINATOR).get(address)
    assert response.status_code == 400
    assert (
        f"The address holds a control character (U+0001) in its {where}: check the link or "
        "what was typed into it."
    ) in response.get_data(as_text=True)
