from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, FormField, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from tracker.domain.words import day
from tracker.services.alerts import MAX_COPIES as MAX_ALERT_COPIES
from tracker.services.alerts import MAX_WEEKS
from tracker.web.forms import (
    FlaskForm,
    Form,
    IdField,
    Lines,
    WholeNumberField,
    choices,
    edition_choice,
    optional_int,
)


class DashboardFilterForm(Form):
    """The dashboard's filters, read from the address (a GET form: nothing to protect)."""

    class Meta:
        csrf = False

    edition = SelectField(_l("Title / edition"), coerce=optional_int, choices=[])
    country = SelectField(_l("Country"), choices=[], validators=[Optional()])
    section = SelectField(_l("Section"), coerce=optional_int, choices=[], validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def set_choices(self, editions: list, countries: list, sections: list) -> None:
        self.edition_choices = editions
        self.edition.choices = choices(
            [("", _("All titles and editions"))]
            + [(e.id, edition_choice(e, compare=True)) for e in editions]
        )
        self.country.choices = choices(
            [("", _("All countries"))] + [(c.code, c.name) for c in countries]
        )
        self.section.choices = choices(
            [("", _("All sections"))] + [(s.id, s.name) for s in sections]
        )

    def validate_end(self, field: DateField) -> None:
        start: date | None = self.start.data
        if start and field.data and field.data < start:
            raise ValidationError(
                _("The period must end on or after it starts (%(day)s).", day=_short_day(start))
            )

    def validate_edition(self, field: SelectField) -> None:
        _chosen(field)

    def validate_section(self, field: SelectField) -> None:
        _chosen(field)


def no_such(name: str) -> str:
    """What a filter says of a choice that is not in its list."""
    if name == "edition":
        return _("There is no such title / edition: choose one from the list.")
    if name == "country":
        return _("There is no such country: choose one from the list.")
    return _("There is no such section: choose one from the list.")


def _short_day(value: date) -> str:
    """1 Mar 2024: the day without its leading zero, in the reader's language."""
    text = day(value)
    return text[1:] if text.startswith("0") else text


def _chosen(field: SelectField) -> None:
    """A value that is not a number is no choice at all, not 'all of them'."""
    if field.raw_data and field.raw_data[0] and field.data is None:
        raise ValidationError(no_such(field.name))


def _weeks(label: str) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_WEEKS,
                message=_l("From 0 to %(most)s weeks, please.", most=MAX_WEEKS),
            ),
        ],
    )


def _copies(label: str) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=MAX_ALERT_COPIES,
                message=_l("From 0 to %(most)s copies, please.", most=f"{MAX_ALERT_COPIES:,}"),
            ),
        ],
    )


class SectionThresholds(Form):
    class Meta:
        csrf = False

    section_id = IdField()
    weeks_of_cover = _weeks(_l("Weeks of cover"))
    copies = _copies(_l("Copies"))


class ThresholdsForm(FlaskForm):
    weeks_of_cover = _weeks(_l("Weeks of cover"))
    copies = _copies(_l("Copies on hand"))
    sections = Lines(FormField(SectionThresholds))
