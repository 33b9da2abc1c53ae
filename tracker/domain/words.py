"""What the domain says to people, in the reader's language.

The domain loads without Flask. A message is written here as its English text with
named values, ``say("Only %(n)s left at %(place)s.", n=3, place=...)`` (or ``say_n`` with a
singular and a plural), which marks it for the catalogues (``babel.cfg``'s keywords) and
translates it when it is said: through the translator the web installs for each request
(``speak``), else in English (the CLI, the tests). Values are put in after translation,
so a translation may order them as its language needs; dates and moments are written
by ``day`` and ``moment``, months by ``month_name``, languages' names by ``language_name``,
numbers by ``number`` and lists of alternatives by ``either`` and ``one_of``, as the reader's
language writes them.

A value put into a sentence is never English text: a name of something the sentence is
about ("the buyer's name", "a price per copy") is said where it is written
(``say("the buyer's name")``), and a sentence that begins with such a value gets its
capital after it is put in (``sentence``), as the reader's language has it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_datetime, format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal


def _english(message: str) -> str:
    return message


def _english_n(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def _english_day(value: date) -> str:
    return value.strftime("%d %b %Y")


def _english_moment(value: datetime) -> str:
    return value.strftime("%d %b %Y %H:%M")


def _english_locale() -> str:
    return "en"


class _Speaker:
    gettext: Callable[[str], str] = staticmethod(_english)
    ngettext: Callable[[str, str, int], str] = staticmethod(_english_n)
    day: Callable[[date], str] = staticmethod(_english_day)
    moment: Callable[[datetime], str] = staticmethod(_english_moment)
    locale: Callable[[], str] = staticmethod(_english_locale)


_speaker = _Speaker()


def speak(
    *,
    gettext: Callable[[str], str],
    ngettext: Callable[[str, str, int], str],
    day: Callable[[date], str],
    moment: Callable[[datetime], str],
    locale: Callable[[], str],
) -> None:
    """Install the translator (the web's: the reader's language, per request). Each
    function must fall back to English where there is no reader; ``locale`` gives the
    reader's language (``sv``)."""
    _speaker.gettext = gettext
    _speaker.ngettext = ngettext
    _speaker.day = day
    _speaker.moment = moment
    _speaker.locale = locale


def say(message: str, /, **values: Any) -> str:
    """``message`` in the reader's language, with ``values`` put in (``%(name)s``)."""
    text = _speaker.gettext(message)
    return text % values if values else text


def say_n(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """One of two forms by ``n`` (put in as ``%(n)s`` too), in the reader's language."""
    return _speaker.ngettext(singular, plural, n) % {"n": n, **values}


def day(value: date) -> str:
    """A day as the reader's language writes it (English: 05 Feb 2024)."""
    return _speaker.day(value)


def moment(value: datetime) -> str:
    """A moment as the reader writes it, in their zone (English: 05 Feb 2024 10:00)."""
    return _speaker.moment(value)


def clock(value: datetime) -> str:
    """A moment as the reader's language writes it, at the time of day it is given in
    (no zone put in, none named: the sentence names it): 05 Feb 2024 10:00."""
    return format_datetime(value, "dd MMM y HH:mm", locale=_speaker.locale())


def month_name(value: date) -> str:
    """A month and its year as the reader's language names them (CLDR): February 2024,
    februari 2024, febrero de 2024, فروری 2024."""
    return format_skeleton("yMMMM", value, locale=_speaker.locale())


def language_name(code: str) -> str:
    """A language's name in the reader's language: English, engelska, انگریزی (the code
    as it is when Babel knows no such language)."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(_speaker.locale())
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


def number(value: int | Decimal) -> str:
    """A number put into a sentence, grouped as the reader's language groups it
    (CLDR): 1,200 in English, 1\xa0200 in Swedish, 1.200 in German."""
    return format_decimal(value, locale=_speaker.locale())


def _english_reader() -> bool:
    return _speaker.locale().split("_")[0].split("-")[0] == "en"


def either(words: list[str]) -> str:
    """Alternatives, the last one joined by the reader's "or": 'x', 'x or y', 'x, y or
    z' in English (no comma before "or", as the tracker always wrote it), 'x, y eller z'
    in Swedish, 'x، y یا z' in Urdu (CLDR)."""
    if len(words) == 1:
        return words[0]
    if _english_reader():
        return say("%(some)s or %(last)s", some=", ".join(words[:-1]), last=words[-1])
    return format_list(words, style="or", locale=_speaker.locale())


def one_of(words: list[str]) -> str:
    """The values one of which is wanted, as a sentence lists them in brackets: 'x, y,
    z' in English (as the tracker always wrote them), with the reader's "or" in other
    languages (CLDR: 'x, y eller z')."""
    if _english_reader():
        return ", ".join(words)
    return format_list(words, style="or", locale=_speaker.locale())


def sentence(text: str) -> str:
    """``text`` with its first letter a capital: a sentence that begins with a value put
    in ("%(what)s is required." with "the buyer's name")."""
    return text[:1].upper() + text[1:]


def say_mark(message: str) -> str:
    """``message`` as it is: marks a text that is said later (``say(value)``, a label
    kept in a table) for the catalogues."""
    return message
