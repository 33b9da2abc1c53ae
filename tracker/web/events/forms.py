from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.domain.events import EventKind, PaymentMethod
from tracker.web.forms import (
    PAYMENT_WORDS,
    FlaskForm,
    KeyedForm,
    WhenField,
    WholeNumberField,
    choices,
    copies_field,
    enum_choices,
    optional_int,
    strict_int,
)


class EventForm(KeyedForm):
    section_id = SelectField(
        _l("Section"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose the section."))],
    )
    name = StringField(
        _l("Name"), validators=[DataRequired(message=_l("Give the event a name.")), Length(max=200)]
    )
    kind = SelectField(
        _l("Kind"),
        choices=enum_choices(EventKind),
        default=EventKind.PUBLIC_MEETING.value,
    )
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired(message=_l("Give the date."))])
    ends_on = DateField(
        _l("Ends on"), validators=[Optional()], description=_l("Leave empty for a one-day event.")
    )
    expected_attendance = WholeNumberField(
        _l("Expected attendance"), validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )
    actual_attendance = WholeNumberField(
        _l("Actual attendance"), validators=[Optional(), NumberRange(min=0, max=1_000_000)]
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])


class SaleForm(KeyedForm):
    """The sale screen: one edition and condition, so many copies, one payment."""

    item = RadioField(
        _l("What"), choices=[], validators=[DataRequired(message=_l("Choose a book."))]
    )
    qty = copies_field(_l("Copies"), default=1)
    price = StringField(
        _l("Price per copy"),
        validators=[Optional(), Length(max=20)],
        description=_l("Leave empty for the usual price."),
    )
    payment = RadioField(
        _l("Paid by"),
        choices=choices((m.value, PAYMENT_WORDS[m]) for m in PaymentMethod),
        default=PaymentMethod.CASH.value,
    )
    buyer = StringField(_l("Buyer (optional)"), validators=[Optional(), Length(max=200)])
    # Left empty on the usual sale (now); folded away on the screen.
    sold_at = WhenField(_l("Sold at"))

    def validate_qty(self, field) -> None:
        if field.data is None and not field.errors:
            field.data = 1


class VoidForm(KeyedForm):
    reason = TextAreaField(
        _l("Why is this sale voided?"),
        validators=[DataRequired(message=_l("Say why.")), Length(max=500)],
    )
    voided_at = WhenField(_l("Voided at"))


class SigningForm(KeyedForm):
    edition_id = SelectField(
        _l("Edition"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose the edition."))],
    )
    authors = SelectMultipleField(
        _l("Signed by"),
        coerce=strict_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose who signed."))],
    )
    qty = copies_field(_l("Copies signed"))
    dedications = TextAreaField(
        _l("Dedications (optional)"),
        validators=[Optional(), Length(max=4000)],
        description=_l("One name per line, for the copies signed to someone."),
    )
    signed_at = WhenField(_l("Signed at"))

    def validate_qty(self, field) -> None:
        if field.data is None and not field.errors:
            raise ValueError(_("Give the number of copies signed."))


class CloseEventForm(FlaskForm):
    """Close an event: now, or when its table was packed up; with the cash counted at
    the table, if it was."""

    counted_cash = StringField(
        _l("Cash counted"),
        validators=[Optional(), Length(max=20)],
        description=_l(
            "The cash in the box, if counted: the report sets it against the cash sales."
        ),
        render_kw={"inputmode": "decimal"},
    )
    closed_at = WhenField(_l("Closed at"))
