from __future__ import annotations

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
        "Section",
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message="Choose the section.")],
    )
    amount = AmountField(
        "Amount", validators=[DataRequired(message="Give the amount."), Length(max=20)]
    )
    currency = StringField(
        "Currency",
        validators=[DataRequired(), Length(max=3)],
        description="The section's currency.",
    )
    sent_on = WhenDayField("Sent on", default=today, required=True)
    method = SelectField(
        "Sent by",
        choices=choices((m.value, m.label) for m in PaymentMethod),
        default=PaymentMethod.BANK_TRANSFER.value,
    )
    reference = StringField("Reference", validators=[Optional(), Length(max=120)])
    note = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])


class PriceLine(Form):
    class Meta:
        csrf = False

    edition_id = IdField()
    price = AmountField("Price", validators=[Optional(), Length(max=20)])


class PricesForm(FlaskForm):
    lines = Lines(FormField(PriceLine))


class RateForm(FlaskForm):
    currency = StringField(
        "Currency", validators=[DataRequired(message="Give the currency."), Length(max=3)]
    )
    valid_on = DateField("From", default=today, validators=[DataRequired(message="Give the date.")])
    rate = AmountField("Rate", validators=[DataRequired(message="Give the rate."), Length(max=30)])
