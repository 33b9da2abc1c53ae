"""The sale screen's words: every text its script writes comes from the page, in the
reader's language, as data (a JSON element); the English page reads as before."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.factories import World
from tests.web.forms import page
from tracker.domain.accounts import Role

SCRIPT = Path(__file__).resolve().parents[2] / "tracker" / "static" / "js" / "sale.js"


def _screen(world: World, session, login):
    world.stocked(10)
    session.commit()
    treasurer = login(Role.TREASURER, "GB")
    store = world.loc("GB-STORE")
    return page(treasurer, f"/sections/{store.section_id}/sell")


def test_the_sale_screen_gives_its_script_its_words(world: World, session, login):
    soup = _screen(world, session, login)
    element = soup.find("script", id="sale-words")
    assert element is not None and element["type"] == "application/json"
    assert not element.get("src")
    words = json.loads(element.string)
    assert isinstance(words, dict) and words
    for key, value in words.items():
        assert isinstance(value, str) and value.strip(), key
    assert words["record_sale"] == "Record sale"
    assert words["left_one"] == "Only {n} left."
    assert words["copy_word_one"] == "copy" and words["copy_word_other"] == "copies"
    assert words["month_5"] == "May"
    # Every word the script knows in English, the page gives (and no other).
    script = SCRIPT.read_text()
    english = script[script.index("const ENGLISH = {") : script.index("\n  };\n")]
    known = set(re.findall(r"^\s+([a-z_]+): ", english, re.M))
    known |= {f"month_{n}" for n in range(1, 13)}
    assert known == set(words)


def test_the_english_sale_screen_reads_as_before(world: World, session, login):
    soup = _screen(world, session, login)
    text = " ".join(soup.get_text(" ").split())
    for words in (
        "Record sale",
        "Online",
        "0 waiting to send",
        "0 refused",
        "Log in again",
        "Log in and send",
        "Tap a book to add it to this sale.",
        "Handed over",
        "Other price, buyer's name",
        "Price per copy (GBP)",
        "For a discount or a solidarity price.",
        "Buyer (optional)",
        "Sold earlier?",
        "Send now",
        "Undo last sale",
        "Takings",
        "All ( 0 sales)",
        "0 copies sold · £0.00 taken",
        "10 left · £25.00",
    ):
        assert words in text, words
    assert soup.select_one("#tendered")["placeholder"] == "optional"
    assert soup.select_one("#price")["placeholder"] == "the usual price"
    assert soup.select_one(".sell-bar nav")["aria-label"] == "Back"
    assert soup.select_one("[data-step='-1']")["aria-label"] == "One copy fewer"
    assert soup.select_one(".last-sale")["aria-label"] == "Your last sale"
    assert soup.select_one(".tiles legend").get_text() == "What"
    assert soup.title.get_text().startswith("Sell · ")
