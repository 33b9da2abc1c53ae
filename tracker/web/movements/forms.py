from __future__ import annotations

from wtforms import (
    BooleanField,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.domain.distribution import WriteOffReason
from tracker.web.forms import (
    MAX_LINES,
    Form,
    IdField,
    KeyedForm,
    Lines,
    WhenDayField,
    WhenField,
    choices,
    copies_field,
    optional_int,
    today,
)


class PrintRunForm(KeyedForm):
    edition_id = SelectField(
        "Edition",
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message="Choose the edition.")],
    )
    qty = copies_field("Copies delivered")
    received_on = WhenDayField("Delivered on", default=today)
    reference = StringField(
        "Reference",
        description="The print run or invoice number.",
        validators=[DataRequired(message="Give the print run or invoice number."), Length(max=120)],
    )
    note = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])

    def validate_qty(self, field) -> None:
        if field.data is None and not field.errors:
            raise ValueError("Give the number of copies delivered.")


class CopiesLine(Form):
    class Meta:
        csrf = False

    edition_id = IdField()
    condition = HiddenField()
    qty = copies_field()


class TransferForm(KeyedForm):
    from_location_id = SelectField(
        "From",
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message="Choose where from.")],
    )
    to_location_id = SelectField(
        "To", coerce=optional_int, choices=[], validators=[DataRequired(message="Choose where to.")]
    )
    # Copies brought to an event's table and back: the time matters there.
    moved_at = WhenField("Moved at")
    note = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(CopiesLine), max_entries=2 * MAX_LINES)


class WriteOffForm(KeyedForm):
    location_id = SelectField(
        "From",
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message="Choose the place.")],
    )
    reason = SelectField(
        "Reason",
        choices=choices([("", "Choose a reason")] + [(r.value, r.label) for r in WriteOffReason]),
        validators=[InputRequired(message="Choose a reason.")],
    )
    note = TextAreaField(
        "Notes",
        description="What happened: required for damaged and lost copies.",
        validators=[Optional(), Length(max=2000)],
    )
    written_off_on = WhenDayField("Written off on")
    lines = Lines(FormField(CopiesLine), max_entries=2 * MAX_LINES)


class CountLine(Form):
    class Meta:
        csrf = False

    edition_id = IdField()
    condition = HiddenField()
    counted = copies_field("Counted", zero=True)


class StocktakeStartForm(Form):
    class Meta:
        csrf = False

    location_id = SelectField(
        "Location",
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message="Choose a location.")],
    )
    blind = BooleanField("Blind count: do not show what the ledger expects")


class StocktakeForm(KeyedForm):
    blind = HiddenField()
    counted_on = WhenDayField(
        "Counted on",
        default=today,
        description="The count is set against what the ledger held at the end of that day.",
    )
    reason = TextAreaField("Reason for any difference", validators=[Optional(), Length(max=2000)])
    note = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(CountLine), max_entries=2 * MAX_LINES)
