from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
    copies_field,
    enum_choices,
    optional_int,
    today,
)


class PrintRunForm(KeyedForm):
    edition_id = SelectField(
        _l("Edition"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose the edition."))],
    )
    qty = copies_field(_l("Copies delivered"))
    received_on = WhenDayField(_l("Delivered on"), default=today)
    reference = StringField(
        _l("Reference"),
        description=_l("The print run or invoice number."),
        validators=[
            DataRequired(message=_l("Give the print run or invoice number.")),
            Length(max=120),
        ],
    )
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])

    def validate_qty(self, field) -> None:
        if field.data is None and not field.errors:
            raise ValueError(_("Give the number of copies delivered."))


class CopiesLine(Form):
    class Meta:
        csrf = False

    edition_id = IdField()
    condition = HiddenField()
    qty = copies_field()


class TransferForm(KeyedForm):
    from_location_id = SelectField(
        _l("From"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose where from."))],
    )
    to_location_id = SelectField(
        _l("To"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose where to."))],
    )
    # Copies brought to an event's table and back: the time matters there.
    moved_at = WhenField(_l("Moved at"))
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(CopiesLine), max_entries=2 * MAX_LINES)


class WriteOffForm(KeyedForm):
    location_id = SelectField(
        _l("From"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose the place."))],
    )
    reason = SelectField(
        _l("Reason"),
        choices=enum_choices(WriteOffReason, [("", _l("Choose a reason"))]),
        validators=[InputRequired(message=_l("Choose a reason."))],
    )
    note = TextAreaField(
        _l("Notes"),
        description=_l("What happened: required for damaged and lost copies."),
        validators=[Optional(), Length(max=2000)],
    )
    written_off_on = WhenDayField(_l("Written off on"))
    lines = Lines(FormField(CopiesLine), max_entries=2 * MAX_LINES)


class CountLine(Form):
    class Meta:
        csrf = False

    edition_id = IdField()
    condition = HiddenField()
    counted = copies_field(_l("Counted"), zero=True)


class StocktakeStartForm(Form):
    class Meta:
        csrf = False

    location_id = SelectField(
        _l("Location"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose a location."))],
    )
    blind = BooleanField(_l("Blind count: do not show what the ledger expects"))


class StocktakeForm(KeyedForm):
    blind = HiddenField()
    counted_on = WhenDayField(
        _l("Counted on"),
        default=today,
        description=_l("The count is set against what the ledger held at the end of that day."),
    )
    reason = TextAreaField(
        _l("Reason for any difference"), validators=[Optional(), Length(max=2000)]
    )
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(CountLine), max_entries=2 * MAX_LINES)
