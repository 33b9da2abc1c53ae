from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from tracker.domain.events import PaymentMethod
from tracker.web.forms import (
    PAYMENT_WORDS,
    AmountField,
    FlaskForm,
    Form,
    IdField,
    KeyedForm,
    Lines,
    WhenDayField,
    choices,
    optional_int,
    today,
)


class RemittanceForm(KeyedForm):
    section_id = SelectField(
        _l("Section"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose the section."))],
    )
    amount = AmountField(
        _l("Amount"), validators=[DataRequired(message=_l("Give the amount.")), Length(max=20)]
    )
    currency = StringField(
        _l("Currency"),
        validators=[DataRequired(), Length(max=3)],
        description=_l("The section's currency."),
    )
    sent_on = WhenDayField(_l("Sent on"), default=today, required=True)
    method = SelectField(
        _l("Sent by"),
        choices=choices((m.value, PAYMENT_WORDS[m]) for m in PaymentMethod),
        default=PaymentMethod.BANK_TRANSFER.value,
    )
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=120)])
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])


class PriceLine(Form):
    class Meta:
        csrf = False

    edition_id = IdField()
    price = AmountField(_l("Price"), validators=[Optional(), Length(max=20)])


class PricesForm(FlaskForm):
    lines = Lines(FormField(PriceLine))


class RateForm(FlaskForm):
    currency = StringField(
        _l("Currency"), validators=[DataRequired(message=_l("Give the currency.")), Length(max=3)]
    )
    valid_on = DateField(
        _l("From"), default=today, validators=[DataRequired(message=_l("Give the date."))]
    )
    rate = AmountField(
        _l("Rate"), validators=[DataRequired(message=_l("Give the rate.")), Length(max=30)]
    )
