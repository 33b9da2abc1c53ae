"""The catalogues shipped: every message of the sources translated into every language,
none fuzzy, none missing (the catalogues are as new as the sources), and each compiled
catalogue (.mo, what the app reads) the same as its source (.po)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tracker.domain.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "tracker" / "translations"
# Babel's own keywords (gettext, ngettext, pgettext...) and the lazy ones of the forms.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "say": None,
    "say_n": (1, 2),
    "say_mark": None,
    "column": None,
}


def _method_map() -> tuple[list[tuple[str, str]], dict]:
    """The sources ``babel.cfg`` names, as Babel's extraction takes them."""
    methods = []
    for line in (ROOT / "babel.cfg").read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            method, _, pattern = line[1:-1].partition(":")
            methods.append((pattern.strip(), method.strip()))
    return methods, {}


def _source_messages() -> set[str]:
    methods, options = _method_map()
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), methods, options, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


SOURCES = _source_messages()
TRANSLATED = [code for code in LANGUAGES if code != "en"]


def test_the_sources_have_messages_to_translate():
    assert "Log in" in SOURCES and len(SOURCES) > 40


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str):
    path = CATALOGUES / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalogue = read_po(file, locale=code)
    ids = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalogue if m.id}
    missing = sorted(SOURCES - ids.keys())
    assert not missing, f"{code}: not in the catalogue (run pybabel update): {missing[:10]}"
    untranslated = sorted(
        key
        for key, m in ids.items()
        if key in SOURCES
        and not (all(m.string) if isinstance(m.string, tuple | list) else m.string)
    )
    assert not untranslated, f"{code}: not translated: {untranslated[:10]}"
    fuzzy = sorted(key for key, m in ids.items() if m.fuzzy)
    assert not fuzzy, f"{code}: fuzzy: {fuzzy[:10]}"


def _plain(value: object) -> object:
    """A message's id or text as one comparable value (plurals come as lists)."""
    return value if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_compiled_catalogue_is_its_source(code: str):
    folder = CATALOGUES / code / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as file:
        source = {_plain(m.id): _plain(m.string) for m in read_po(file, locale=code) if m.id}
    with (folder / "messages.mo").open("rb") as file:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(file) if m.id}
    assert compiled == source, f"{code}: run pybabel compile -d tracker/translations"
