from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from tracker.domain.notifications import NotificationKind
from tracker.passwords import MAX_LENGTH
from tracker.web.forms import FlaskForm


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
