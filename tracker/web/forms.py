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
``MAX_LINES``), whole numbers are ``WholeNumberField``. When a document's copies or money
moved is ``WhenField`` (a day and a time) or ``WhenDayField`` (a day): empty is now, the
future and days before 1900 are refused on the field, and ``when`` is what the services
take.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import flask_wtf
import wtforms
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeLocalField,
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
from wtforms.validators import DataRequired, NumberRange, Optional, StopValidation

from tracker.db import utcnow
from tracker.domain.errors import BadRequest
from tracker.domain.events import PaymentMethod
from tracker.domain.languages import plain_amount
from tracker.domain.stock import MAX_QTY as MAX_COPIES
from tracker.domain.text import control_character
from tracker.domain.values import day_problem, id_problem, parse_id, parse_whole
from tracker.services.documents import new_key

# Lines a repeating part of a form takes at most: one per edition (or section), or two
# per edition (unsigned and signed) on the forms that move copies.
MAX_LINES = 200


# True while a mail is written (``tracker.web.i18n.speaking``): its reader is not the
# request's, their language is forced, and its times are in UTC, named.
writing_mail: ContextVar[bool] = ContextVar("writing_mail", default=False)


def reader_zone() -> tzinfo:
    """The reader's time zone (their section's; UTC for people of no section, outside a
    request, and in mails)."""
    from flask import has_request_context
    from flask_babel import get_timezone

    if not has_request_context() or writing_mail.get():
        return UTC
    # Flask-Babel gives a pytz zone, whose offset is only right through its own methods:
    # the same zone from the standard library is right with plain datetime arithmetic.
    zone = get_timezone()
    name = getattr(zone, "zone", None)
    return ZoneInfo(name) if name else zone


def today() -> date:
    """A date field's default: the reader's today, when the form is shown."""
    return datetime.now(reader_zone()).date()


def as_typed(day: date, at: time | None = None) -> datetime | date | None:
    """What the services take as ``when`` for a day (and a time) typed by the reader, in
    the reader's zone: a moment in UTC; for a day alone, the reader's today is now (None)
    and an earlier day its last second there (whatever else happened that day first); a
    later day is left as it is, for the rules to refuse as the future."""
    zone = reader_zone()
    if at is not None:
        return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    reader_today = today()
    if day == reader_today:
        return None
    if day > reader_today:
        return day
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def zone_name() -> str:
    """The reader's zone as people name it: UTC, Asia/Karachi."""
    zone = reader_zone()
    name = str(getattr(zone, "zone", None) or getattr(zone, "key", None) or zone)
    return "UTC" if name in ("UTC", "Etc/UTC") else name


def _zone_hint() -> str:
    """What a moment's field says of its zone: UTC, or the reader's zone, named."""
    name = zone_name()
    if name == "UTC":
        return str(_l("UTC. Leave empty for now."))
    return str(_l("Time in %(zone)s. Leave empty for now.", zone=name))


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


# How a reader paid, in the reader's language (the domain's words are the English ones).
PAYMENT_WORDS = {
    PaymentMethod.CASH: _l("cash"),
    PaymentMethod.CARD: _l("card"),
    PaymentMethod.BANK_TRANSFER: _l("bank transfer"),
    PaymentMethod.OTHER: _l("other"),
}


def payment_word(method: str) -> str:
    """How a reader paid (``cash``...), in the reader's language."""
    return str(PAYMENT_WORDS.get(PaymentMethod(method), method))


def reader_locale() -> str:
    """The reader's language (``sv``), as Flask-Babel chose it for this request."""
    from flask_babel import get_locale

    return str(get_locale() or "en")


def enum_choices(words: Iterable[Any], first: list[tuple[str, Any]] | None = None) -> list:
    """Select options of an enumeration's words, each label said in the reader's language
    when the form is shown (a form class is made once, before anyone reads it)."""
    from flask_babel.speaklater import LazyString

    return choices((first or []) + [(w.value, LazyString(lambda w=w: str(w.label))) for w in words])


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


# -- the rules every field gets ----------------------------------------------------------------


def _plain_text(form: object, field: StringField) -> None:
    value = field.data if isinstance(field.data, str) else ""
    bad = control_character(value.strip(), multiline=isinstance(field, TextAreaField))
    if bad:
        if isinstance(field, TextAreaField):
            message = _(
                "This holds a control character (%(character)s); control characters "
                "allowed: tabs and line breaks only.",
                character=bad,
            )
        else:
            message = _(
                "This holds a control character (%(character)s); control characters allowed: none.",
                character=bad,
            )
        raise StopValidation(message)


def _sane_day(form: object, field: DateField) -> None:
    if field.data is not None:
        problem = day_problem(field.data, _("The date"))
        if problem:
            raise StopValidation(problem)


class _Rules:
    """Meta of the tracker's forms: the rules above, added to each field as it is made."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField) and not isinstance(field, PasswordField):
            field.validators = [_plain_text, *field.validators]
        elif isinstance(field, DateField) and not isinstance(field, WhenDayField):
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
                yield _(
                    "This form is damaged (its field %(field)s: %(error)s): open it again.",
                    field=field.name,
                    error=error,
                )


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
            raise BadRequest(
                _(
                    "This form is damaged: %(problem)s Open it again.",
                    problem=id_problem(self.name, raw),
                )
            )


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
                    _(
                        "This form was sent with %(sent)s lines; it takes at most %(most)s. "
                        "Open it again.",
                        sent=f"{sent:,}",
                        most=f"{self.max_entries:,}",
                    )
                )
        super().process(formdata, data, extra_filters)


class AmountField(StringField):
    """Money or a rate typed as the reader's language writes numbers ("18,00" in
    Swedish, "1.234,50" in German, "12.50" in English; the unambiguous other form too),
    given to the services in the plain form they read ("1234.50"). What is not an
    amount stays as typed, for the service's error to show it."""

    def process_formdata(self, valuelist: list) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str) and self.data.strip():
            self.data = plain_amount(self.data, reader_locale())


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
            raise ValueError(_("%(value)s is not a whole number.", value=repr(shown)))


def copies_field(
    label: str | None = None, *, zero: bool = False, default: int | None = None
) -> WholeNumberField:
    """Copies: empty or a whole number from 1 (or 0) to a million."""
    low = 0 if zero else 1
    return WholeNumberField(
        _l("Copies") if label is None else label,
        default=default,
        validators=[
            Optional(),
            NumberRange(
                min=low,
                max=MAX_COPIES,
                message=_l(
                    "From %(low)s to %(most)s copies, please.", low=low, most=f"{MAX_COPIES:,}"
                ),
            ),
        ],
    )


# -- when it happened ---------------------------------------------------------------------------

# What a browser's inputs send: a day, and a day and a time (seconds when it adds them).
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?", re.ASCII)
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 20 else raw[:20] + "...")


def _happened_problem(label: str, when: date | datetime) -> str | None:
    """Why ``when`` cannot be when something happened (in the future, before 1900), or
    None. A moment without a zone is in the reader's zone, a day is the reader's day."""
    now = utcnow()
    if isinstance(when, datetime):
        zone = reader_zone()
        moment = when if when.tzinfo else when.replace(tzinfo=zone)
        if moment > now:
            local = moment.astimezone(zone)
            if local.utcoffset() == timedelta(0) and local.tzname() in ("UTC", None):
                return _(
                    "%(label)s: %(moment)s UTC is in the future. Give when it happened, or "
                    "leave it empty for now.",
                    label=label,
                    moment=f"{local:%d %b %Y %H:%M}",
                )
            return _(
                "%(label)s: %(moment)s (%(zone)s) is in the future. Give when it happened, "
                "or leave it empty for now.",
                label=label,
                moment=f"{local:%d %b %Y %H:%M}",
                zone=local.tzname(),
            )
        day = moment.astimezone(zone).date()
    else:
        day = when
        if day > today():
            return _(
                "%(label)s: %(day)s is in the future. Give the day it happened, or leave it "
                "empty for today.",
                label=label,
                day=f"{day:%d %b %Y}",
            )
    return day_problem(day, label)


# The mixin below is only ever mixed into a WTForms field, which it extends.
if TYPE_CHECKING:
    _FieldBase = wtforms.Field
else:
    _FieldBase = object


class _Happened(_FieldBase):
    """What both fields of when something happened do: read what the browser sent (a
    value that is no date is refused with the field's name), refuse the future and days
    before 1900, and give the services their ``when`` (None: now)."""

    _pattern: re.Pattern[str]

    def _not_read(self, shown: str) -> str:
        """What is said of a value that is not one this field reads."""
        raise NotImplementedError

    def _read(self, raw: str) -> date | datetime:
        raise NotImplementedError

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not raw:
            return
        if self._pattern.fullmatch(raw):
            try:
                self.data = self._read(raw)
                return
            except ValueError:
                pass
        raise ValueError(self._not_read(_shown(raw)))

    def pre_validate(self, form: object) -> None:
        if self.process_errors:
            raise StopValidation()  # the reading's own message says it
        if self.data is not None:
            problem = _happened_problem(self.label.text, self.data)
            if problem:
                raise StopValidation(problem)

    @property
    def when(self) -> date | datetime | None:
        """What the services take as ``when``: a moment in UTC (one typed without a zone
        is in the reader's), a day's (``as_typed``), or None (now)."""
        if isinstance(self.data, datetime):
            if self.data.tzinfo is not None:
                return self.data
            return self.data.replace(tzinfo=reader_zone()).astimezone(UTC)
        if isinstance(self.data, date):
            return as_typed(self.data)
        return self.data


class WhenField(_Happened, DateTimeLocalField):
    """When something happened, to the minute (a ``datetime-local`` input, read as UTC
    until places have their time zones): empty is now."""

    _pattern = _MOMENT

    def __init__(self, label: str, *, description: str | None = None, **kw):
        if description is None:
            from flask_babel.speaklater import LazyString

            description = LazyString(_zone_hint)
        super().__init__(
            label, validators=[Optional()], format=MOMENT_FORMAT, description=description, **kw
        )

    def _not_read(self, shown: str) -> str:
        return _(
            "%(label)s: %(value)s is not a date and a time (such as 2024-03-01T14:30).",
            label=self.label.text,
            value=shown,
        )

    def _read(self, raw: str) -> datetime:
        return datetime.strptime(raw.replace(" ", "T")[:16], MOMENT_FORMAT)


class WhenDayField(_Happened, DateField):
    """The day something happened (a ``date`` input): empty is now (unless ``required``),
    today is now, an earlier day is its last second (UTC)."""

    _pattern = _DAY

    def __init__(
        self,
        label: str,
        *,
        required: bool = False,
        description: str | None = None,
        **kw,
    ):
        validators = [DataRequired(message=_l("Give the date."))] if required else [Optional()]
        if description is None:
            description = "" if required else _l("Leave empty for today.")
        super().__init__(label, validators=validators, description=description, **kw)

    def _not_read(self, shown: str) -> str:
        return _(
            "%(label)s: %(value)s is not a date (such as 2024-03-01).",
            label=self.label.text,
            value=shown,
        )

    def _read(self, raw: str) -> date:
        return date.fromisoformat(raw)


class KeyedForm(FlaskForm):
    """A form that makes a document: its one-time key is made when it is shown."""

    submission_key = HiddenField(default=new_key)
