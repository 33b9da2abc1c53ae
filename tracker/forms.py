"""What the forms of every area share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectChoice
from wtforms.validators import NumberRange, Optional, StopValidation

from tracker.ledger import MAX_QTY as MAX_COPIES
from tracker.services.documents import new_key


def today() -> date:
    """A date field's default: today, when the form is shown."""
    return date.today()


def optional_int(value: object) -> int | None:
    """Coerce a select's value: '' (no choice) is None, anything not a number too."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class WholeNumberField(IntegerField):
    """An integer field whose error says what people should type (and only that)."""

    def pre_validate(self, form: object) -> None:
        if self.process_errors:
            raise StopValidation()

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        text = valuelist[0].strip().replace(",", "").replace(" ", "")
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(f"{valuelist[0]!r} is not a whole number.") from None


def copies_field(label: str = "Copies", *, zero: bool = False) -> WholeNumberField:
    """Copies: empty or a whole number from 1 (or 0) to a million."""
    low = 0 if zero else 1
    return WholeNumberField(
        label,
        validators=[
            Optional(),
            NumberRange(
                min=low, max=MAX_COPIES, message=f"From {low} to {MAX_COPIES:,} copies, please."
            ),
        ],
    )


class KeyedForm(FlaskForm):
    """A form that makes a document: its one-time key is made when it is shown."""

    submission_key = HiddenField(default=new_key)
