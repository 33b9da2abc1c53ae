from __future__ import annotations

from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from tracker.domain.accounts import Role
from tracker.web.forms import FlaskForm, choices, optional_int


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=choices((r.value, r.label) for r in Role))
    section_id = SelectField(
        "Section",
        coerce=optional_int,
        choices=[],
        description="Treasurers only: the one section whose stock and money they keep.",
    )

    def set_sections(self, sections: list) -> None:
        self.section_id.choices = choices([("", "No section")] + [(s.id, s.name) for s in sections])
