"""Logging in and out, and changing one's own password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.access import public, signed_in
from tracker.auth.forms import LoginForm, PasswordForm
from tracker.db import db
from tracker.errors import DomainError
from tracker.security import end_session, hasher, limiter, start_session
from tracker.services import accounts

bp = Blueprint("auth", __name__)

FAILED = "Email or password is not right, or the account is not active."
THROTTLED = "Too many failed attempts to log in. Wait a few minutes, then try again."


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


def _failed(_response) -> bool:
    return g.get("login_failed", False)


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: _config("LOGIN_FAILURES_PER_ADDRESS"),
    methods=["POST"],
    deduct_when=_failed,
    error_message=THROTTLED,
    scope="login-address",
)
@limiter.limit(
    lambda: _config("LOGIN_FAILURES_PER_ACCOUNT"),
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
    error_message=THROTTLED,
    scope="login-account",
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
                flash("Welcome. Choose a password of your own before you go on.", "message")
                return redirect(url_for("auth.password"))
            return redirect(safe_next(request.args.get("next")))
        g.login_failed = True
        error = FAILED
    elif form.is_submitted():
        g.login_failed = True
        error = "Give your email and your password."
    return render_template("auth/login.html", form=form, error=error)


def _config(key: str) -> str:
    from flask import current_app

    return current_app.config[key]


@bp.post("/logout")
@signed_in
def logout():
    accounts.logout(db.session, current_user._get_current_object())
    end_session()
    flash("You have logged out, on every device.", "message")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                db.session,
                hasher(),
                user,
                current=form.current.data,
                new=form.new.data,
                confirm=form.confirm.data,
            )
        except accounts.PasswordRejected as rejected:
            db.rollback()
            form.new.errors = list(rejected.problems)
        except DomainError as error:
            db.rollback()
            form.current.errors = [error.message]
        else:
            start_session(user)  # this session goes on, with the new id
            flash("Your password is changed. Your other sessions have ended.", "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form)
