from __future__ import annotations

from datetime import date

from wtforms import DateField, FormField, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from tracker.services.alerts import MAX_COPIES as MAX_ALERT_COPIES
from tracker.services.alerts import MAX_WEEKS
from tracker.web.forms import (
    FlaskForm,
    Form,
    IdField,
    Lines,
    WholeNumberField,
    choices,
    optional_int,
)


class DashboardFilterForm(Form):
    """The dashboard's filters, read from the address (a GET form: nothing to protect)."""

    class Meta:
        csrf = False

    edition = SelectField("Title / edition", coerce=optional_int, choices=[])
    country = SelectField("Country", choices=[], validators=[Optional()])
    section = SelectField("Section", coerce=optional_int, choices=[], validators=[Optional()])
    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])

    def set_choices(self, editions: list, countries: list, sections: list) -> None:
        self.edition_choices = editions
        self.edition.choices = choices(
            [("", "All titles and editions")] + [(e.id, f"{e.label} · {e.isbn}") for e in editions]
        )
        self.country.choices = choices(
            [("", "All countries")] + [(c.code, c.name) for c in countries]
        )
        self.section.choices = choices([("", "All sections")] + [(s.id, s.name) for s in sections])

    def validate_end(self, field: DateField) -> None:
        start: date | None = self.start.data
        if start and field.data and field.data < start:
            raise ValidationError(f"The period must end on or after it starts ({start:%-d %b %Y}).")

    def validate_edition(self, field: SelectField) -> None:
        _chosen(field)

    def validate_section(self, field: SelectField) -> None:
        _chosen(field)


def _chosen(field: SelectField) -> None:
    """A value that is not a number is no choice at all, not 'all of them'."""
    if field.raw_data and field.raw_data[0] and field.data is None:
        raise ValidationError(
            f"There is no such {field.label.text.lower()}: choose one from the list."
        )


def _weeks(label: str) -> WholeNumberField:
    return WholeNumberField(
        label,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_WEEKS, message=f"From 0 to {MAX_WEEKS} weeks, please."),
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
                message=f"From 0 to {MAX_ALERT_COPIES:,} copies, please.",
            ),
        ],
    )


class SectionThresholds(Form):
    class Meta:
        csrf = False

    section_id = IdField()
    weeks_of_cover = _weeks("Weeks of cover")
    copies = _copies("Copies")


class ThresholdsForm(FlaskForm):
    weeks_of_cover = _weeks("Weeks of cover")
    copies = _copies("Copies on hand")
    sections = Lines(FormField(SectionThresholds))
