from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from tracker.domain.distribution import DiscrepancyReason, ShipmentStatus
from tracker.domain.terms import Terms
from tracker.web.forms import (
    AmountField,
    FlaskForm,
    Form,
    IdField,
    KeyedForm,
    Lines,
    WhenDayField,
    choices,
    copies_field,
    enum_choices,
    optional_int,
)


class LineForm(Form):
    """One edition on a shipment: how many copies, and the price per copy."""

    class Meta:
        csrf = False

    edition_id = IdField()
    qty = copies_field()
    # Read by the shipment's service, which says what is wrong with an amount.
    unit_price = AmountField(_l("Price per copy"), validators=[Optional(), Length(max=30)])


class ShipmentForm(KeyedForm):
    section_id = SelectField(
        _l("Section"),
        coerce=optional_int,
        choices=[],
        validators=[DataRequired(message=_l("Choose a section."))],
    )
    terms = SelectField(
        _l("Terms"),
        choices=enum_choices(Terms),
        default=Terms.FIRM_SALE.value,
    )

    carrier = StringField(_l("Carrier"), validators=[Optional(), Length(max=100)])
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=100)])
    expected_on = DateField(_l("Expected arrival"), validators=[Optional()])
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(LineForm))

    # A return's lines may leave the price empty: the copies go back at the price they
    # came at (see the view).
    prices_required = True

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.prices_required:
            for entry in self.lines:
                line = entry.form
                if (
                    line.qty.data
                    and not (line.unit_price.data or "").strip()
                    and not line.unit_price.errors
                ):
                    line.unit_price.errors = [
                        *line.unit_price.errors,
                        _("Give the price per copy."),
                    ]
                    ok = False
        return ok


class DispatchForm(FlaskForm):
    """Dispatch a draft: now, or on the day it left (a shipment sent before it was
    recorded)."""

    dispatched_on = WhenDayField(_l("Dispatched on"))


class ReceiptLineForm(Form):
    class Meta:
        csrf = False

    line_id = IdField()
    received = copies_field(_l("Received"), zero=True)
    damaged = copies_field(_l("Damaged"), zero=True)
    missing = copies_field(_l("Missing"), zero=True)
    reason = SelectField(
        _l("Reason"),
        choices=enum_choices(DiscrepancyReason, [("", "—")]),
        validators=[Optional()],
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ReceiptForm(KeyedForm):
    received_on = WhenDayField(_l("Received on"))
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(ReceiptLineForm))


class ShipmentFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=enum_choices(ShipmentStatus, [("", _l("Any status"))]),
        validators=[Optional()],
    )
    direction = SelectField(
        _l("Direction"),
        choices=choices(
            [("", _l("Both ways")), ("outbound", _l("to sections")), ("return", _l("returns"))]
        ),
        validators=[Optional()],
    )
    section = SelectField(_l("Section"), coerce=optional_int, choices=[], validators=[Optional()])
    country = SelectField(_l("Country"), choices=[], validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
