"""The forms of paper tallies: a sales tally's lines (edition, condition, payment,
copies, price), a signing tally's copies per edition, and the void of a tally."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FormField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.domain.events import PaymentMethod
from tracker.domain.stock import Condition
from tracker.services.tallies import MAX_TALLY_LINES
from tracker.web.forms import (
    AmountField,
    FlaskForm,
    Form,
    IdField,
    KeyedForm,
    Lines,
    as_typed,
    choices,
    copies_field,
    optional_int,
    payment_word,
    strict_int,
    today,
    zone_name,
)


def _capitalized_payment(method: PaymentMethod) -> LazyString:
    """How a line was paid, capitalized, in the reader's language when shown."""
    return LazyString(lambda: payment_word(method).capitalize())


class _WhenMixin:
    """The day a tally's copies changed hands, and the time if it is known."""

    day = DateField(
        _l("Day"),
        default=today,
        # Not DataRequired, which would hide why a day sent could not be read.
        validators=[InputRequired(message=_l("Give the day, as the paper tally says."))],
    )
    time = TimeField(
        LazyString(
            lambda: (
                _l("Time (optional, UTC)")
                if zone_name() == "UTC"
                else _l("Time (optional, %(zone)s)", zone=zone_name())
            )
        ),
        validators=[Optional()],
        description=_l("Empty: the end of that day (today: now)."),
    )

    def when(self) -> date | datetime | None:
        """The day (and time) in the reader's zone, as the services take it."""
        day: date | None = self.day.data
        at: time | None = self.time.data
        if day is None:
            return None
        return as_typed(day, at)


class SaleTallyLine(Form):
    """A line of the paper tally: so many copies of a book, as paid."""

    class Meta:
        csrf = False

    edition_id = SelectField(
        _l("Edition"), coerce=optional_int, choices=[], validators=[Optional()]
    )
    condition = SelectField(
        _l("Signed?"),
        choices=choices(
            [(Condition.UNSIGNED.value, _l("Unsigned")), (Condition.SIGNED.value, _l("Signed"))]
        ),
        default=Condition.UNSIGNED.value,
    )
    payment = SelectField(
        _l("Paid by"),
        choices=choices((m.value, _capitalized_payment(m)) for m in PaymentMethod),
        default=PaymentMethod.CASH.value,
    )
    qty = copies_field(_l("Copies"))
    # Read by the sales service, which says what is wrong with an amount.
    price = AmountField(_l("Price per copy"), validators=[Optional(), Length(max=20)])

    @property
    def used(self) -> bool:
        """Whether the line was filled in (an empty one is left out)."""
        return (
            self.edition_id.data is not None
            or self.qty.data is not None
            or bool((self.price.data or "").strip())
            or bool(self.qty.errors)
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.used and self.edition_id.data is None and not self.edition_id.errors:
            self.edition_id.errors = [*self.edition_id.errors, _("Choose the edition.")]
            ok = False
        if self.used and self.qty.data is None and not self.qty.errors:
            self.qty.errors = [*self.qty.errors, _("Give the number of copies.")]
            ok = False
        return ok


class SalesTallyForm(_WhenMixin, KeyedForm):
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(SaleTallyLine), max_entries=MAX_TALLY_LINES)


class SignedLine(Form):
    class Meta:
        csrf = False

    edition_id = IdField()
    qty = copies_field(_l("Copies signed"))


class SigningTallyForm(_WhenMixin, KeyedForm):
    authors = SelectMultipleField(
        _l("Signed by"),
        coerce=strict_int,
        choices=[],
        validators=[InputRequired(message=_l("Choose who signed."))],
    )
    note = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    lines = Lines(FormField(SignedLine), max_entries=MAX_TALLY_LINES)


class VoidTallyForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this tally voided?"),
        validators=[DataRequired(message=_l("Say why.")), Length(max=500)],
    )
