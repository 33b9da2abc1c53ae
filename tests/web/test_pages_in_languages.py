"""Every page in every language: walking the demo campaign's pages as each kind of
person, in each language shipped, no sentence of the sources is left in English where
the catalogue has it in the reader's language (checked against the catalogue: each
message of at least two words, as it would show, whose translation differs)."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from babel.messages.pofile import read_po

from tests.factories import log_in, post_form
from tracker.domain.languages import LANGUAGES

CATALOGUES = Path(__file__).resolve().parents[2] / "tracker" / "translations"
ACCOUNTS = (
    "coordinator@example.org",
    "admin@example.org",
    "distribution@example.org",
    "treasurer.se@example.org",
)
# Pages walked per account: every area, without walking every document of the demo.
PAGES_EACH = 45
# The API's reference (/api/v1/...) is written for programmers, in English, as the
# document it is made from.
_SKIP = re.compile(
    r"export|format=|\.csv|\.xlsx|/static/|/logout|/language|/sw\.js|manifest|/api/v1/"
)
_PLACEHOLDER = re.compile(r"%\(|%[sd]|\{")


def _english_left(code: str) -> list[str]:
    """The messages that must not show as they are in ``code``: whole, two words at
    least, no placeholder, translated into something else."""
    with (CATALOGUES / code / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalogue = read_po(file, locale=code)
    left = []
    for message in catalogue:
        if not message.id or not isinstance(message.id, str) or message.context:
            continue
        text = message.id
        if " " not in text.strip() or _PLACEHOLDER.search(text) or len(text) < 12:
            continue
        if message.string and message.string != text:
            left.append(text)
    return left


def _names(app) -> list[str]:
    """The demo's own names (events, places, sections, titles): data, which may hold
    words of the catalogue ("... reading circle") and stays as it was written."""
    from sqlalchemy import select

    from tracker.db import db
    from tracker.models import Event, Location, Section, Title

    with app.app_context():
        return [
            name.lower()
            for model in (Event, Location, Section, Title)
            for name in db.session.scalars(select(model.name))
        ]


def _walk(client, start: str):
    queue, seen, walked = deque([start]), {start}, 0
    while queue and walked < PAGES_EACH:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        walked += 1
        # lxml's own tree: the walk reads hundreds of pages, and BeautifulSoup's tree
        # costs several times more to build.
        page = lxml.html.fromstring(response.get_data(as_text=True))
        yield url, page
        for href in page.xpath("//a/@href"):
            parts = urlsplit(href)
            if parts.netloc or not href.startswith("/") or _SKIP.search(href):
                continue
            if href not in seen:
                seen.add(href)
                queue.append(href)


@pytest.mark.slow
@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_no_english_sentence_is_left_on_any_page(demo_app, database, code):
    if database.is_postgresql:
        pytest.skip("the words on a page are the same on either engine: SQLite says it")
    names = _names(demo_app)
    left = [m for m in _english_left(code) if not any(m.lower() in n for n in names)]
    assert left, "the catalogue has translations"
    found: dict[str, list[str]] = {}
    pages = 0
    for email in ACCOUNTS:
        client = demo_app.test_client()
        log_in(client, email)
        response = post_form(client, "/language", {"language": code, "next": "/"})
        assert response.status_code == 302
        for url, page in _walk(client, "/"):
            pages += 1
            assert page.get("lang") == code, url
            for tag in page.xpath("//script|//style"):
                tag.drop_tree()
            text = " ".join(" ".join(page.itertext()).split())
            attributes = " ".join(
                " ".join(str(value).split())
                for value in page.xpath("//@title|//@aria-label|//@placeholder")
            )
            for message in left:
                if message in text or message in attributes:
                    found.setdefault(message, []).append(url)
    assert pages > 60
    assert not found, {m: urls[:3] for m, urls in list(found.items())[:15]}
