from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from tracker.domain.notifications import NotificationKind
from tracker.domain.tokens import DEFAULT_DAYS, LIFETIMES, NAME_LIMIT
from tracker.passwords import MAX_LENGTH
from tracker.web.forms import FlaskForm, choices


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        description=_l("At least 12 characters. A few words you will remember work well."),
    )
    confirm = PasswordField(_l("New password again"), validators=[DataRequired()])


class NotificationsForm(FlaskForm):
    """A checkbox per kind of mail, named by the kind; the account page keeps those of
    the reader's role."""


def _switch(kind: NotificationKind) -> BooleanField:
    return BooleanField(
        LazyString(lambda: kind.caption), description=LazyString(lambda: kind.description)
    )


for _kind in NotificationKind:
    setattr(NotificationsForm, _kind.value, _switch(_kind))


class ForgotForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("The email address of your account."),
        render_kw={"autocomplete": "email"},
    )


class ResetForm(FlaskForm):
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        description=_l("At least 12 characters. A few words you will remember work well."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )


class TokenForm(FlaskForm):
    """A new API token: its name, how long it lives, and whether it may only read."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(message=_l("Give the token a name.")),
            Length(max=NAME_LIMIT),
        ],
        description=_l("What it is for, so that you know it again: such as “Sales sheet”."),
        render_kw={"autocomplete": "off", "maxlength": NAME_LIMIT},
    )
    days = SelectField(
        _l("Expires in"),
        coerce=int,
        choices=choices((days, _l("%(days)s days", days=days)) for days in LIFETIMES),
        default=DEFAULT_DAYS,
    )
    read_only = BooleanField(
        _l("Read only"), description=_l("It may read what you may read, and change nothing.")
    )
