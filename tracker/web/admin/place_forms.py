"""Forms of the admins' sections and places: shapes only (the services check the rules).

Countries, currencies, time zones and languages are chosen from lists; a value sent
that is not one (a form tampered with, an old page) is refused on its field by the
domain's own check, with the domain's message."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from tracker.domain.errors import DomainError
from tracker.domain.languages import LANGUAGES
from tracker.domain.money import check_currency
from tracker.domain.regions import (
    check_country,
    check_section_language,
    check_time_zone,
    country_choices,
    currency_choices,
    time_zone_choices,
)
from tracker.services.places import MAX_ADDRESS
from tracker.web.forms import FlaskForm, choices, optional_int, reader_locale

# wtforms.fields.choices.SelectChoice: WTForms 3.3, newer than its stubs.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # isort: skip

CHOOSE = _l("Choose…")


def _checked_by(check: Callable[[str], str]) -> Callable[[object, SelectField], None]:
    """A field's validator from a domain check: its message on the field."""

    def validate(_form: object, field: SelectField) -> None:
        if not field.data:
            return  # DataRequired says it
        try:
            check(field.data)
        except DomainError as error:
            raise StopValidation(error.message) from None

    return validate


def _code_select(label: str, required: str, check: Callable[[str], str]) -> SelectField:
    return SelectField(
        label,
        choices=[],
        validate_choice=False,
        validators=[DataRequired(message=required), Length(max=64), _checked_by(check)],
    )


class SectionForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Give the section's name.")), Length(max=200)],
    )
    country_code = _code_select(_l("Country"), _l("Choose the country."), check_country)
    currency = _code_select(_l("Currency"), _l("Choose the currency."), check_currency)
    time_zone = _code_select(_l("Time zone"), _l("Choose the time zone."), check_time_zone)
    language = _code_select(_l("Language"), _l("Choose the language."), check_section_language)
    contact_name = StringField(_l("Contact's name"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(_l("Contact's email"), validators=[Optional(), Length(max=254)])
    contact_phone = StringField(
        _l("Contact's phone"),
        validators=[Optional(), Length(max=40)],
        render_kw={"type": "tel", "autocomplete": "off"},
    )

    def set_choices(self, currency: str | None = None, zone: str | None = None) -> None:
        """The lists, with names in the reader's language; the section's own currency and
        time zone (``currency``, ``zone``) are listed even where the lists leave them out
        (a currency no country uses now, an old alias of a zone)."""
        locale = reader_locale()
        self.country_code.choices = choices([("", CHOOSE), *country_choices(locale)])
        self.currency.choices = choices([("", CHOOSE), *currency_choices(locale, currency)])
        zones = [
            SelectChoice(name, name.replace("_", " "), optgroup=area if area != "UTC" else None)
            for area, names in time_zone_choices()
            for name in names
        ]
        if zone and zone not in {choice.value for choice in zones}:
            zones.insert(0, SelectChoice(zone, zone))
        self.time_zone.choices = [SelectChoice("", CHOOSE), *zones]
        self.language.choices = choices([("", CHOOSE), *LANGUAGES.items()])


class NewSectionForm(SectionForm):
    code = StringField(
        _l("Code"),
        validators=[Optional(), Length(max=30)],
        description=_l(
            "Begins the codes of its places (GB: GB-STORE, GB-TRANSIT...). "
            "Empty: the country's code."
        ),
        render_kw={"autocapitalize": "characters", "spellcheck": "false"},
    )
    store_name = StringField(
        _l("Store's name"),
        validators=[Optional(), Length(max=200)],
        description=_l("Where its copies are kept. Empty: the section's name and “store”."),
    )
    store_address = TextAreaField(
        _l("Store's postal address"),
        validators=[Optional(), Length(max=MAX_ADDRESS)],
        description=_l("As on a parcel's label, one line each. Printed on packing slips."),
        render_kw={"rows": 4},
    )


class PlaceForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Give its name.")), Length(max=200)]
    )
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Give its code.")), Length(max=40)],
        description=_l("Capital letters, digits and hyphens, such as GB-STORE-2."),
        render_kw={"autocapitalize": "characters", "spellcheck": "false"},
    )
    address = TextAreaField(
        _l("Postal address"),
        validators=[Optional(), Length(max=MAX_ADDRESS)],
        description=_l("As on a parcel's label, one line each. Printed on packing slips."),
        render_kw={"rows": 4},
    )


class NewStoreForm(PlaceForm):
    section_id = SelectField(
        _l("Section"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose the section."))],
    )

    def set_sections(self, sections: list) -> None:
        self.section_id.choices = choices([("", CHOOSE)] + [(s.id, s.name) for s in sections])
