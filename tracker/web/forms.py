"""What the forms of every area share.

Every form derives from ``Form`` or ``FlaskForm`` here, whose fields get the tracker's
rules for what people type, wherever they are declared:

* a text (``StringField`` and its kinds, but passwords) holding a control character
  (NUL...) is refused, with a message on the field; tabs and line breaks are allowed
  in a ``TextAreaField``;
* a date (``DateField``) outside 1900 to five years ahead is refused;
* an error on a hidden field, which people cannot see or correct, is said on top of
  the form, with the field's name.

Ids in hidden fields are ``IdField``, repeating lines are ``Lines`` (at most
``MAX_LINES``), whole numbers are ``WholeNumberField``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

import flask_wtf
import wtforms
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)

# SelectChoice is new in WTForms 3.3; its stubs are still 3.2's.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.meta import DefaultMeta
from wtforms.utils import unset_value
from wtforms.validators import NumberRange, Optional, StopValidation

from tracker.domain.errors import BadRequest
from tracker.domain.stock import MAX_QTY as MAX_COPIES
from tracker.domain.text import control_character
from tracker.domain.values import day_problem, id_problem, parse_id, parse_whole
from tracker.services.documents import new_key

# Lines a repeating part of a form takes at most: one per edition (or section), or two
# per edition (unsigned and signed) on the forms that move copies.
MAX_LINES = 200


def today() -> date:
    """A date field's default: today, when the form is shown."""
    return date.today()


def optional_int(value: object) -> int | None:
    """Coerce a select's value: an id, or None for no choice and for anything that is
    not an id (then the choice is refused as not one of the list)."""
    if value in (None, "", "None"):
        return None
    return parse_id(value)


def strict_int(value: object) -> int:
    """Coerce a multiple select's values: ids only (WTForms says which are not)."""
    number = parse_id(value)
    if number is None:
        raise ValueError(f"{value!r} is not an id")
    return number


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


# -- the rules every field gets ----------------------------------------------------------------


def _plain_text(form: object, field: StringField) -> None:
    value = field.data if isinstance(field.data, str) else ""
    bad = control_character(value.strip(), multiline=isinstance(field, TextAreaField))
    if bad:
        allowed = "tabs and line breaks only" if isinstance(field, TextAreaField) else "none"
        raise StopValidation(
            f"This holds a control character ({bad}); control characters allowed: {allowed}."
        )


def _sane_day(form: object, field: DateField) -> None:
    if field.data is not None:
        problem = day_problem(field.data, "The date")
        if problem:
            raise StopValidation(problem)


class _Rules:
    """Meta of the tracker's forms: the rules above, added to each field as it is made."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField) and not isinstance(field, PasswordField):
            field.validators = [_plain_text, *field.validators]
        elif isinstance(field, DateField):
            field.validators = [_sane_day, *field.validators]
        return field


def _hidden_errors(form: wtforms.Form) -> Iterator[str]:
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                if isinstance(entry, FormField):
                    yield from _hidden_errors(entry.form)
        elif isinstance(field, FormField):
            yield from _hidden_errors(field.form)
        elif isinstance(field, HiddenField) and field.name != "csrf_token":
            for error in field.errors:
                yield f"This form is damaged (its field {field.name}: {error}): open it again."


# The mixin below is only ever mixed into a WTForms form, which it extends.
if TYPE_CHECKING:
    _FormBase = wtforms.Form
else:
    _FormBase = object


class _SaysHiddenErrors(_FormBase):
    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            for message in _hidden_errors(self):
                if message not in self.form_errors:
                    self.form_errors.append(message)
        return ok


class Form(_SaysHiddenErrors, wtforms.Form):
    """A form without CSRF protection (filters in the address, lines of a form)."""

    class Meta(_Rules, DefaultMeta):
        pass


class FlaskForm(_SaysHiddenErrors, flask_wtf.FlaskForm):
    """A form sent by POST, with its CSRF token."""

    class Meta(_Rules, flask_wtf.FlaskForm.Meta):
        pass


# -- fields --------------------------------------------------------------------------------------


class IdField(HiddenField):
    """A row's id in a hidden field: ``data`` is the id. Anything else is a form that was
    tampered with or damaged: a 400 that names the field, before anything is read."""

    # The parsed id; HiddenField's stubs say text.
    data: int | None  # type: ignore[assignment]

    def process_data(self, value: object) -> None:
        self.data = None if value in (None, "") else parse_id(value)

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0] if valuelist else ""
        self.data = parse_id(raw)
        if self.data is None:
            raise BadRequest(f"This form is damaged: {id_problem(self.name, raw)} Open it again.")


class Lines(FieldList):
    """Repeating lines (``lines-0-...``, ``lines-1-...``), at most ``max_entries``: a form
    sent with more is refused (400) before any of them is read."""

    max_entries: int

    def __init__(
        self, unbound_field, label=None, validators=None, max_entries: int = MAX_LINES, **kw
    ):
        super().__init__(unbound_field, label, validators, max_entries=max_entries, **kw)

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        if formdata:
            # FieldList's own way to read the lines' numbers: private, absent from its stubs.
            indices = self._extract_indices(self.name, formdata)  # type: ignore[attr-defined]
            sent = len(set(indices))
            if sent > self.max_entries:
                raise BadRequest(
                    f"This form was sent with {sent:,} lines; it takes at most "
                    f"{self.max_entries:,}. Open it again."
                )
        super().process(formdata, data, extra_filters)


class WholeNumberField(IntegerField):
    """An integer field whose error says what people should type (and only that):
    ASCII digits, thousands set apart by commas or spaces in groups of three."""

    def pre_validate(self, form: object) -> None:
        if self.process_errors:
            raise StopValidation()

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        self.data = parse_whole(valuelist[0])
        if self.data is None:
            shown = valuelist[0] if len(valuelist[0]) <= 20 else valuelist[0][:20] + "..."
            raise ValueError(f"{shown!r} is not a whole number.")


def copies_field(
    label: str = "Copies", *, zero: bool = False, default: int | None = None
) -> WholeNumberField:
    """Copies: empty or a whole number from 1 (or 0) to a million."""
    low = 0 if zero else 1
    return WholeNumberField(
        label,
        default=default,
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
