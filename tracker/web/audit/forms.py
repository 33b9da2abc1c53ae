from __future__ import annotations

from wtforms import DateField, SelectField
from wtforms.validators import Optional

from tracker.web.forms import FlaskForm, optional_int


class AuditFilterForm(FlaskForm):
    """Filters read from the query string: a GET form, no CSRF token needed."""

    class Meta:
        csrf = False

    user = SelectField("Who", coerce=optional_int, choices=[], validators=[Optional()])
    section = SelectField("Section", coerce=optional_int, choices=[], validators=[Optional()])
    kind = SelectField("What", choices=[], validators=[Optional()])

    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
