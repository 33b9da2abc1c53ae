"""The import page's forms: the file, and the confirmation of a file previewed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField

from tracker.web.forms import FlaskForm


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=[])
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired()])


class ConfirmForm(FlaskForm):
    kind = HiddenField()
    digest = HiddenField()
    filename = HiddenField()
