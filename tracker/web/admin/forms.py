from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from tracker.domain.accounts import Role
from tracker.domain.values import day_problem
from tracker.services.closing import MAX_BACKDATE_DAYS
from tracker.web.forms import FlaskForm, WholeNumberField, choices, enum_choices, optional_int

# What the section list sends for "no section" (every role but treasurer).
NO_SECTION = "none"


def section_choice(value: object) -> int | None:
    """A section's id, 0 for "no section", None for nothing chosen (or not an id)."""
    if value == NO_SECTION or value == 0:
        return 0
    return optional_int(value)


def _section_chosen(_form: object, field: SelectField) -> None:
    if field.data is None:
        raise StopValidation(
            _("Choose the section: a treasurer's own, or “No section” for the other roles.")
        )


class UserForm(FlaskForm):
    """An account. Neither the role nor the section is chosen for the admin: both must
    be picked ("No section" is a choice)."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = SelectField(
        _l("Role"),
        choices=enum_choices(Role, first=[("", _l("Choose…"))]),
        validators=[DataRequired(message=_l("Choose the role."))],
    )
    section_id = SelectField(
        _l("Section"),
        coerce=section_choice,
        choices=[],
        validators=[_section_chosen],
        description=_l("A treasurer's one section, whose stock and money they keep."),
    )

    def set_sections(self, sections: list) -> None:
        self.section_id.choices = choices(
            [("", _("Choose…")), (NO_SECTION, _("No section (every role but treasurer)"))]
            + [(s.id, s.name) for s in sections]
        )

    @property
    def section(self) -> int | None:
        """The section chosen, for the services (None: no section)."""
        return self.section_id.data or None


def parse_month(value: object) -> date | None:
    """A month as a month input sends it ("2024-02"): its first day, or None."""
    text = value.strip() if isinstance(value, str) else ""
    match = _MONTH.match(text)
    if not match:
        return None
    return date(int(match[1]), int(match[2]), 1)


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class BackdateForm(FlaskForm):
    days = WholeNumberField(
        _l("Days back"),
        validators=[Optional(), NumberRange(min=1, max=MAX_BACKDATE_DAYS)],
        description=_l(
            "Documents typed in may be dated at most this many days ago. "
            "Empty: no limit but the closed months."
        ),
    )


class CloseMonthForm(FlaskForm):
    section_id = SelectField(_l("Section"), coerce=optional_int, choices=[])
    month = StringField(
        _l("Month"),
        validators=[DataRequired(message=_l("Give the month, such as 2024-02."))],
        render_kw={"type": "month", "placeholder": "2024-02"},
    )

    def set_sections(self, sections: list) -> None:
        self.section_id.choices = choices([(s.id, s.name) for s in sections])

    def validate_month(self, field: StringField) -> None:
        first = parse_month(field.data)
        if first is None:
            raise ValidationError(
                _("%(value)s is not a month such as 2024-02.", value=repr(field.data))
            )
        problem = day_problem(first, _("The month"))
        if problem:
            raise ValidationError(problem)
