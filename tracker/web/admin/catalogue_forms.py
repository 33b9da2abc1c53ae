"""The catalogue's forms: a title, an edition with its list prices, the search.

The forms check the shape of what is typed, each field by the domain's own rule where
there is one (an ISBN's check digit, a language code, a currency), so that every field
that is wrong says so at once; the services check it all again (the command line comes
that way too) and what needs the database (an ISBN already taken, copies that moved).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from tracker.domain.catalogue import MAX_OTHER_PRICES, EditionFormat, check_language
from tracker.domain.errors import DomainError
from tracker.domain.isbn import normalize_isbn
from tracker.domain.money import MAX_PRICE_MINOR, check_currency, to_minor
from tracker.services.catalogue import DEFAULT_PUBLISHER, ListPrice
from tracker.web.forms import AmountField, FlaskForm, Form, Lines, enum_choices

# Blank lines of other list prices a form shows under those the edition has.
BLANK_PRICE_LINES = 2


def _by_rule(rule: Any):
    """A validator that runs a domain rule on the field's text: its message, if it
    refuses, is the field's error."""

    def check(form: object, field: StringField) -> None:
        text = field.data.strip() if isinstance(field.data, str) else ""
        if text:
            try:
                rule(text)
            except DomainError as error:
                raise StopValidation(error.message) from None

    return check


def _price_in(currency_field: str):
    """A validator of a price by its currency's minor unit and the tracker's bounds,
    when the currency beside it is one."""

    def check(form: Any, field: StringField) -> None:
        text = field.data.strip() if isinstance(field.data, str) else ""
        try:
            currency = check_currency(form[currency_field].data or "")
        except DomainError:
            return  # the currency's own error says it
        if text:
            try:
                minor = to_minor(text, currency, limit=MAX_PRICE_MINOR, what=_("A price"))
            except DomainError as error:
                raise StopValidation(error.message) from None
            if minor < 0:
                raise StopValidation(_("A list price cannot be negative."))

    return check


class TitleForm(FlaskForm):
    name = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the title.")), Length(max=300)],
    )
    subtitle = StringField(_l("Subtitle"), validators=[Optional(), Length(max=300)])
    authors = TextAreaField(
        _l("Authors"),
        validators=[DataRequired(message=_l("Give at least one author.")), Length(max=4000)],
        description=_l("One per line, in the order the cover gives them."),
        render_kw={"rows": 3},
    )
    publisher = StringField(
        _l("Publisher"),
        default=DEFAULT_PUBLISHER,
        validators=[DataRequired(message=_l("Give the publisher.")), Length(max=200)],
    )

    def author_names(self) -> list[str]:
        return (self.authors.data or "").splitlines()


class OtherPriceForm(Form):
    """A list price in another currency: one line of the edition's form."""

    currency = StringField(
        _l("Currency"),
        validators=[Optional(), Length(max=3), _by_rule(check_currency)],
        render_kw={"autocapitalize": "characters", "maxlength": 3},
    )
    price = AmountField(
        _l("List price"), validators=[Optional(), Length(max=40), _price_in("currency")]
    )


class EditionForm(FlaskForm):
    isbn = StringField(
        _l("ISBN"),
        validators=[
            DataRequired(message=_l("Give the ISBN.")),
            Length(max=40),
            _by_rule(normalize_isbn),
        ],
        description=_l(
            "13 digits; an ISBN-10 is taken as its ISBN-13. Hyphens and spaces allowed."
        ),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "class": "isbn"},
    )
    format = SelectField(_l("Format"), choices=enum_choices(EditionFormat))
    language = StringField(
        _l("Language"),
        validators=[
            DataRequired(message=_l("Give the language's code.")),
            Length(max=16),
            _by_rule(check_language),
        ],
        description=_l("Its code: en, es, ur, sv, pt_BR…"),
        render_kw={"list": "languages", "autocomplete": "off", "maxlength": 16},
    )
    own_title = StringField(
        _l("Title in the edition's language"),
        validators=[Optional(), Length(max=300)],
        description=_l("As the cover writes it, in its own script; empty: the title's name."),
        render_kw={"dir": "auto"},
    )
    published_on = DateField(_l("Published on"), validators=[Optional()])
    list_price = AmountField(
        _l("List price"),
        validators=[
            DataRequired(message=_l("Give the list price.")),
            Length(max=40),
            _price_in("currency"),
        ],
        render_kw={"inputmode": "decimal"},
    )
    currency = StringField(
        _l("Currency"),
        validators=[
            DataRequired(message=_l("Give the currency.")),
            Length(max=3),
            _by_rule(check_currency),
        ],
        description=_l("ISO 4217: GBP, EUR, SEK…"),
        render_kw={"autocapitalize": "characters", "maxlength": 3, "list": "currencies"},
    )
    other_prices = Lines(FormField(OtherPriceForm), max_entries=MAX_OTHER_PRICES)

    def prices(self) -> list[ListPrice]:
        """Every line of other list prices, empty ones too (the service skips them, and
        names a line by its place among all of them)."""
        return [ListPrice(line.currency.data, line.price.data) for line in self.other_prices]

    def show_prices(self, prices: list) -> None:
        """Lines for the edition's other list prices (``prices``: currency and price as
        they are typed), then a few blank ones."""
        while self.other_prices.entries:
            self.other_prices.pop_entry()
        for currency, price in prices:
            self.other_prices.append_entry({"currency": currency, "price": price})
        for _blank in range(BLANK_PRICE_LINES):
            if len(self.other_prices.entries) < MAX_OTHER_PRICES:
                self.other_prices.append_entry()


class CatalogueSearch(Form):
    """The catalogue's search, in the address (``?q=``)."""

    q = StringField(_l("Title, author or ISBN"), validators=[Optional(), Length(max=100)])
