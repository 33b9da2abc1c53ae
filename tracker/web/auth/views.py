"""Logging in and out, one's own account (the mails one gets, one's API tokens),
changing one's own password, and resetting a forgotten one."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.db import db
from tracker.domain.errors import DomainError
from tracker.domain.notifications import NotificationKind
from tracker.models import ApiToken
from tracker.queries.notifications import switches
from tracker.queries.tokens import tokens_of
from tracker.services import accounts, mail, notifications, resets, tokens
from tracker.web.access import public, signed_in
from tracker.web.auth import throttle
from tracker.web.auth.forms import (
    ForgotForm,
    LoginForm,
    NotificationsForm,
    PasswordForm,
    ResetForm,
    TokenForm,
)
from tracker.web.helpers import actor, form_status, submit
from tracker.web.security import end_session, hasher, limiter, record_apart, start_session

bp = Blueprint("auth", __name__)

FAILED = _l("Email or password is not right, or the account is not active.")
THROTTLED = _l("Too many failed attempts to log in. Wait a few minutes, then try again.")
CHECK_THROTTLED = _l(
    "Too many wrong current passwords for this account. Wait a few minutes, then try again."
)
RESET_DONE = _l("Your password is changed and you are logged in. Your other sessions have ended.")
RESETS_THROTTLED = _l(
    "Too many requests for a link to reset a password. Wait an hour, then try again."
)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    home = url_for("dashboard.index")
    if not target:
        return home
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return home
    return target


def _config(key: str) -> str:
    return current_app.config[key]


def _login_failed(_response) -> bool:
    return g.get("login_failed", False)


def _login_throttled(by: str):
    """An on_breach callback: the refused attempt goes into the audit trail (once, even
    when several limits are reached)."""

    def record(_limit) -> None:
        if g.get("throttle_recorded"):
            return
        g.throttle_recorded = True
        email, address = request.form.get("email", ""), throttle.address()
        record_apart(
            lambda session: accounts.login_failed(
                session, email=email, address=address, throttled_by=by
            )
        )

    return record


def _login_limit(setting: str, by: str, key_func, exempt_when):
    return limiter.limit(
        lambda: _config(setting),
        methods=["POST"],
        key_func=key_func,
        exempt_when=exempt_when,
        deduct_when=_login_failed,
        on_breach=_login_throttled(by),
        error_message=THROTTLED,
        scope=setting.lower(),
    )


@bp.route("/login", methods=["GET", "POST"])
@public
@_login_limit(
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
    "for this account from this address",
    throttle.account_and_address_key,
    throttle.known_browser,
)
@_login_limit(
    "LOGIN_FAILURES_PER_ADDRESS",
    "from this address",
    throttle.address_key,
    throttle.known_browser,
)
@_login_limit(
    "LOGIN_FAILURES_PER_ACCOUNT",
    "for this account",
    throttle.account_key,
    throttle.known_browser,
)
@_login_limit(
    "LOGIN_FAILURES_PER_KNOWN_BROWSER",
    "for this account from this browser",
    throttle.account_and_browser_key,
    throttle.unknown_browser,
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        result = accounts.authenticate(db.session, hasher(), form.email.data, form.password.data)
        if result.ok:
            start_session(result.user)
            if result.user.must_change_password:
                flash(_("Welcome. Choose a password of your own before you go on."), "message")
                response = redirect(url_for("auth.password"))
            else:
                response = redirect(safe_next(request.args.get("next")))
            return throttle.remember_browser(response, result.user.email)
        g.login_failed = True
        error = FAILED
        email, address = form.email.data, throttle.address()
        record_apart(lambda session: accounts.login_failed(session, email=email, address=address))
    elif form.is_submitted():
        g.login_failed = True
        error = _("Give your email and your password.")
    return render_template("auth/login.html", form=form, error=error)


@bp.post("/logout")
@signed_in
def logout():
    accounts.logout(db.session, actor())
    end_session()
    flash(_("You have logged out, on every device."), "message")
    return redirect(url_for("auth.login"))


def _password_check_failed(_response) -> bool:
    return g.get("password_check_failed", False)


def _password_check_throttled(_limit) -> None:
    user_id, address = current_user.id, throttle.address()
    record_apart(
        lambda session: accounts.password_check_failed(
            session, user_id, address=address, throttled=True
        )
    )


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
@limiter.limit(
    lambda: _config("PASSWORD_CHECK_FAILURES"),
    methods=["POST"],
    key_func=lambda: f"user:{current_user.id}",
    deduct_when=_password_check_failed,
    on_breach=_password_check_throttled,
    error_message=CHECK_THROTTLED,
    scope="password-check",
)
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = actor()
        try:
            accounts.change_password(
                db.session,
                hasher(),
                user,
                current=form.current.data,
                new=form.new.data,
                confirm=form.confirm.data,
            )
        except accounts.WrongPassword as error:
            g.password_check_failed = True
            user_id, address = user.id, throttle.address()
            record_apart(
                lambda session: accounts.password_check_failed(session, user_id, address=address)
            )
            form.current.errors = [error.message]
        except accounts.PasswordRejected as rejected:
            db.rollback()
            form.new.errors = list(rejected.problems)
        except DomainError as error:
            db.rollback()
            form.current.errors = [error.message]
        else:
            start_session(user)  # this session goes on, with the new id
            flash(_("Your password is changed. Your other sessions have ended."), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form)


def _mails_form(current: dict[NotificationKind, bool], *, posted: bool) -> NotificationsForm:
    """The switches of the person's kinds of mail: as posted, or as they are."""
    form = NotificationsForm() if posted else NotificationsForm(formdata=None)
    for kind in NotificationKind:
        if kind not in current:
            del form[kind.value]
    if not posted:
        for kind, enabled in current.items():
            form[kind.value].data = enabled
    return form


def _account_page(
    current: dict[NotificationKind, bool],
    *,
    mails: NotificationsForm | None = None,
    token_form: TokenForm | None = None,
    made: tuple[ApiToken, str] | None = None,
    status: int = 200,
):
    """The account page; ``made``: a token just made, and the token itself, shown in
    this answer only (never kept in the session, never put in an address)."""
    user = actor()
    return (
        render_template(
            "auth/account.html",
            form=mails or _mails_form(current, posted=False),
            kinds=list(current),
            token_form=token_form or TokenForm(formdata=None),
            tokens=tokens_of(db.session, user.id),
            made=made,
        ),
        status,
    )


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    """Who one is, the way to change one's password and language, a switch for each
    kind of mail one's role gets, and one's API tokens."""
    user = actor()
    current = switches(db.session, user)
    form = _mails_form(current, posted=request.method == "POST")

    def saved(_result: None):
        flash(_("Your choice of mails is saved."), "success")
        return redirect(url_for("auth.account"))

    response = submit(
        form,
        lambda: notifications.save_switches(
            db.session, user, {kind.value: bool(form[kind.value].data) for kind in current}
        ),
        saved,
    )
    if response:
        return response
    return _account_page(current, mails=form, status=form_status(form))


@bp.route("/account/tokens", methods=["GET", "POST"])
@signed_in
def new_token():
    """Make an API token: the answer shows it, once. Asked again by GET (the language
    switch of that answer comes back here): the account page."""
    if request.method == "GET":
        return redirect(url_for("auth.account"))
    user = actor()
    current = switches(db.session, user)
    form = TokenForm()
    response = submit(
        form,
        lambda: tokens.create(
            db.session,
            user,
            name=form.name.data,
            days=form.days.data,
            read_only=bool(form.read_only.data),
        ),
        lambda made: _account_page(current, made=made),
        on_fields=True,
    )
    return response or _account_page(current, token_form=form, status=form_status(form))


@bp.post("/account/tokens/<int:token_id>/revoke")
@signed_in
def revoke_token(token_id: int):
    """Revoke one's own token (an admin: anyone's); another's does not exist (404)."""
    token = tokens.revoke(db.session, actor(), token_id)
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("auth.account"))


def _reset_asked(_response) -> bool:
    return g.get("reset_asked", False)


def _reset_limit(setting: str, key_func):
    return limiter.limit(
        lambda: _config(setting),
        methods=["POST"],
        key_func=key_func,
        deduct_when=_reset_asked,
        error_message=RESETS_THROTTLED,
        scope=setting.lower(),
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@_reset_limit("PASSWORD_RESETS_PER_ADDRESS", throttle.address_key)
@_reset_limit("PASSWORD_RESETS_PER_EMAIL", throttle.account_key)
def forgot_password():
    if not mail.enabled():
        # No mail would ever bring the link: the page says whom to ask instead.
        return render_template("auth/forgot.html", form=None)
    form = ForgotForm()
    if form.validate_on_submit():
        started = time.monotonic()
        g.reset_asked = True
        try:
            resets.ask_for_link(
                db.session,
                form.email.data,
                address=throttle.address(),
                per_hour=current_app.config["PASSWORD_RESET_LINKS_PER_HOUR"],
            )
        except DomainError as error:
            db.rollback()
            form.email.errors = [error.message]
        else:
            # The same answer, as soon, whether the email has an account or not.
            throttle.answer_no_sooner_than(
                started, current_app.config["PASSWORD_RESET_ANSWER_SECONDS"]
            )
            flash(
                _(
                    "If %(email)s is the email of an account, a link to choose a new "
                    "password is on its way there. It works once, for an hour.",
                    email=form.email.data.strip(),
                ),
                "message",
            )
            return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), form_status(form)


def _link_refused(refused: resets.LinkRefused):
    return render_template("auth/reset_refused.html", message=refused.message), (
        refused.status_code
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        link = resets.usable_link(db.session, token)
    except resets.LinkRefused as refused:
        return _link_refused(refused)
    email = link.user.email
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = resets.reset_with_link(
                db.session,
                hasher(),
                token,
                new=form.new.data or "",
                confirm=form.confirm.data or "",
            )
        except resets.LinkRefused as refused:
            db.rollback()
            return _link_refused(refused)
        except accounts.PasswordRejected as rejected:
            db.rollback()
            form.new.errors = list(rejected.problems)
        else:
            start_session(user)
            flash(str(RESET_DONE), "success")
            return throttle.remember_browser(redirect(url_for("dashboard.index")), user.email)
    return render_template("auth/reset.html", form=form, email=email), form_status(form)
