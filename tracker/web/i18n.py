"""The reader's language, numbers and time: Flask-Babel, with the choice made here.

The language: the one the person chose in their account; before they do (or before
login), the one chosen with the switch on every page (a cookie); else the browser's
preference among the languages shipped; else the section's; else English. The time
zone: the person's section's (``sections.time_zone``), UTC for people of no section
(coordinators compare across zones: their times say which zone they are in).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date, format_datetime
from flask import Flask, flash, has_request_context, redirect, request
from flask_babel import Babel, force_locale, get_translations
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from tracker.db import db
from tracker.domain import words
from tracker.domain.languages import DEFAULT, LANGUAGES, language, right_to_left
from tracker.web.access import public
from tracker.web.forms import reader_locale, reader_zone, writing_mail

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# The language chosen with the switch before logging in (a year).
COOKIE = "tracker_language"
COOKIE_AGE = 365 * 24 * 3600


def _escaped(self: LazyString) -> Markup:
    return escape(str(self))


# A label or message made with lazy_gettext is text, not HTML: escaped in templates like
# any value (Flask-Babel's own lazy strings would go into the page as they are, and a
# translation with an apostrophe or a quote would break the markup around it).
LazyString.__html__ = _escaped


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=reader_language,
        timezone_selector=reader_time_zone,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.add_url_rule("/language", "language", choose_language, methods=["POST"])
    # What the rules say (tracker.domain.words), in the reader's language.
    words.speak(gettext=_gettext, ngettext=_ngettext, day=_day, moment=_moment)
    # Globals, not a context processor: the macros imported by templates see them too.
    from tracker.web.forms import payment_word

    app.jinja_env.globals.update(
        languages=LANGUAGES,
        reader_language=current_language,
        text_direction=text_direction,
        payment_word=payment_word,
        language_name=language_name,
    )


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Words, numbers and days in ``code``'s language, and times in UTC, for a reader who
    is not the request's (or where there is no request): what a mail says."""
    token = writing_mail.set(True)
    try:
        with force_locale(code):
            yield
    finally:
        writing_mail.reset(token)


def _has_reader() -> bool:
    """Whether someone reads what is said: a request's person, or a mail's reader."""
    return has_request_context() or writing_mail.get()


def _gettext(message: str) -> str:
    """The message in the reader's language (as written, for no reader: a command)."""
    if not _has_reader():
        return message
    return get_translations().gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n``, with nothing put in yet (``words.say_n`` puts the values)."""
    if not _has_reader():
        return singular if n == 1 else plural
    return get_translations().ngettext(singular, plural, n)


def _day(value: date) -> str:
    if not _has_reader():
        return value.strftime("%d %b %Y")
    return format_date(value, "dd MMM y", locale=current_language())


def _moment(value: datetime) -> str:
    """In the reader's zone, named unless it is UTC (as the rules' English says it)."""
    if not _has_reader():
        return value.strftime("%d %b %Y %H:%M")
    zone = reader_zone()
    local = value.astimezone(zone) if value.tzinfo else value
    text = format_datetime(local, "dd MMM y HH:mm", locale=current_language())
    name = local.tzname()
    return text if name in (None, "UTC") else f"{text} {name}"


def language_name(code: str) -> str:
    """A language's name in the reader's language: "English", "engelska", "انگریزی"."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(current_language())
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


current_language = reader_locale


def text_direction() -> str:
    return "rtl" if right_to_left(current_language()) else "ltr"


def _reader() -> object | None:
    """The logged-in person, if any (None too when the database cannot say: the page
    that says so is still in the browser's language)."""
    try:
        return current_user if current_user and current_user.is_authenticated else None
    except SQLAlchemyError:
        return None


def reader_language() -> str:
    user = _reader()
    chosen = language(getattr(user, "language", None)) or language(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    # The browser's languages, most wanted first ("de-CH" is German).
    for code, _quality in request.accept_languages:
        if language(code):
            return language(code) or DEFAULT
    section = getattr(user, "section", None)
    return language(getattr(section, "language", None)) or DEFAULT


def reader_time_zone() -> str:
    user = _reader()
    section = getattr(user, "section", None)
    return getattr(section, "time_zone", None) or "UTC"


@public
def choose_language() -> Response:
    """The switch: the language for this browser, and for the person's account."""
    from tracker.web.auth.views import safe_next

    chosen = language(request.form.get("language"))
    back = redirect(safe_next(request.form.get("next")))
    if chosen is None:
        asked = (request.form.get("language") or "")[:20]
        flash(
            _("There is no language %(code)s here: choose one from the list.", code=repr(asked)),
            "error",
        )
        return back
    if current_user.is_authenticated:
        current_user.language = chosen
        db.session.flush()
    response = back
    response.set_cookie(
        COOKIE, chosen, max_age=COOKIE_AGE, secure=request.is_secure, httponly=True, samesite="Lax"
    )
    return response
