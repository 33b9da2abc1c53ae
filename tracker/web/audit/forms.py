from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from tracker.web.forms import FlaskForm, optional_int


class AuditFilterForm(FlaskForm):
    """Filters read from the query string: a GET form, no CSRF token needed."""

    class Meta:
        csrf = False

    user = SelectField(_l("Who"), coerce=optional_int, choices=[], validators=[Optional()])
    section = SelectField(_l("Section"), coerce=optional_int, choices=[], validators=[Optional()])
    kind = SelectField(_l("What"), choices=[], validators=[Optional()])

    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
