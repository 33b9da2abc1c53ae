"""What every page's template may use: filters for numbers, money and dates, and the
main navigation (a link shows to the roles its route admits: one rule, in access)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.numbers import format_decimal
from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from tracker.domain import words
from tracker.domain.accounts import RATE_KEEPERS
from tracker.domain.money import format_money, from_minor
from tracker.domain.stock import Condition
from tracker.models.catalogue import EDITION_LABEL
from tracker.services import mail
from tracker.web import access
from tracker.web.forms import edition_choice, reader_locale, reader_zone


def init_app(app: Flask) -> None:
    app.jinja_env.filters["num"] = _number
    app.jinja_env.filters["money"] = _money
    app.jinja_env.filters["minor_to_decimal"] = lambda minor, currency: str(
        from_minor(minor, currency)
    )
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["percent"] = _percent
    app.jinja_env.tests["recorded_later"] = recorded_later
    # Absolute addresses from PUBLIC_BASE_URL, for mails.
    app.jinja_env.globals["link"] = mail.link
    app.jinja_env.globals["edition_choice"] = edition_choice
    app.jinja_env.globals["edition_label"] = edition_label
    app.jinja_env.globals["condition_word"] = condition_word
    app.context_processor(
        lambda: {
            "nav_links": nav_links,
            "can_use": can_use,
            "has_role": access.has_role,
            "may_enter_rates": may_enter_rates,
        }
    )


# The main navigation; each link shows to the roles its route admits.
NAV = [
    ("dashboard.index", _l("Dashboard")),
    ("stock.home", _l("Stock")),
    ("shipments.index", _l("Shipments")),
    ("movements.transfers", _l("Movements")),
    ("events.index", _l("Events")),
    ("money.index", _l("Money")),
    ("audit.index", _l("Audit trail")),
    ("admin.catalogue", _l("Catalogue")),
    ("admin.index", _l("Admin")),
]


def can_use(endpoint: str) -> bool:
    """Whether the current user's role may use a route (for links and buttons)."""
    rule = access.declared(endpoint)
    if rule is None or not current_user.is_authenticated:
        return bool(rule and rule.public)
    return rule.public or current_user.role in rule.roles


def may_enter_rates() -> bool:
    """Whether the current user may enter exchange rates (the rates page shows its form
    to them only; the page itself is open to more roles)."""
    return access.has_role(*RATE_KEEPERS)


def nav_links() -> list[tuple[str, Any]]:
    """The links of the main navigation the current user may follow."""
    if not current_user.is_authenticated:
        return []
    return [(endpoint, label) for endpoint, label in NAV if can_use(endpoint)]


def edition_label(edition: Any) -> Markup:
    """An edition's label as a page shows it (``Edition.label``), its title (data, in
    letters of either direction) isolated from the words around it: a title in Latin
    letters keeps its place in an Urdu label."""
    values = edition.label_values
    title = Markup("<bdi>%s</bdi>") % values["title"]
    return escape(words.say(EDITION_LABEL)) % {**values, "title": title}


def condition_word(condition: str) -> str:
    """A copy's condition (``signed``) in the reader's language; what is no condition
    (a form sent back spoiled) as it was sent."""
    try:
        return Condition(condition).label
    except ValueError:
        return str(condition)


def _number(value: int | None) -> str:
    return "" if value is None else format_decimal(value, locale=reader_locale())


def _money(minor: int, currency: str) -> str:
    """Money in the reader's locale, in its own currency."""
    return format_money(minor, currency, reader_locale())


def _datetime(value: Any) -> str:
    """A moment in the reader's time zone, the zone named: 2026-11-30 23:05 UTC,
    2026-12-01 04:05 PKT. (Digits in this order read the same in every language.)"""
    if value is None:
        return ""
    moment = value.astimezone(reader_zone())
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def _date(value: Any) -> str:
    """A day as the reader's language writes it: 01 Mar 2024, 01 mars 2024 (as the
    rules' messages write it: ``words.day``)."""
    return "" if value is None else words.day(value)


# A document recorded this much after it happened says so where it is listed.
RECORDED_LATER = timedelta(hours=1)


def recorded_later(recorded: datetime, happened: datetime) -> bool:
    """Whether something was recorded well after it happened (dated back)."""
    return recorded - happened >= RECORDED_LATER


def _percent(value: Any) -> str:
    """A fraction as a whole percentage: 0.256 -> 26%."""
    return "" if value is None else f"{value * 100:.0f}%"
