"""For admins: accounts (list, create, edit, deactivate and reactivate, reset a
password), and how far back documents may be dated (a limit in days, closed months)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError
from tracker.domain.words import month_name, sentence
from tracker.models import User
from tracker.queries.accounts import list_users
from tracker.queries.places import list_sections
from tracker.queries.statements import owed_by_section
from tracker.services import accounts, alerts, closing
from tracker.web.access import allow
from tracker.web.admin.forms import (
    NO_SECTION,
    BackdateForm,
    CloseMonthForm,
    UserForm,
    parse_month,
)
from tracker.web.helpers import actor, form_status, submit
from tracker.web.inputs import query_id
from tracker.web.security import hasher

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _once(user: User, password: str, what: str):
    """The new password, shown this once and never stored anywhere readable (no page
    is kept in a cache: see ``security``)."""
    return render_template("admin/password_once.html", user=user, password=password, what=what)


@bp.get("/users")
@allow(Role.ADMIN)
def users():
    return render_template("admin/users.html", users=list_users(db.session))


def _user_form(user: User | None = None) -> UserForm:
    """The account form (``user``'s), with the open sections to choose from (and the
    account's own, archived or not); an account of no section has "No section"."""
    if user is None:
        form = UserForm()
    else:
        form = UserForm(
            data={
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "section_id": user.section_id or NO_SECTION,
            }
        )
    sections_of = user.section_id if user else None
    sections = list_sections(db.session)
    form.set_sections([s for s in sections if not s.archived or s.id == sections_of])
    return form


def _asked(form: UserForm) -> None:
    """A new account's role and section as the address asks (a section's page links to
    "new treasurer"), only when the form is first shown."""
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        form.role.data = role
    section = query_id("section")
    if section is not None:
        form.section_id.data = section


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user():
    form = _user_form()
    if not form.is_submitted():
        _asked(form)
    response = submit(
        form,
        lambda: accounts.create_user(
            db.session,
            hasher(),
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            section_id=form.section,
        ),
        lambda made: _once(*made, "created"),
    )
    return response or (
        render_template("admin/user_form.html", form=form, user=None),
        form_status(form),
    )


def _saved(user: User):
    flash(_("Account %(email)s saved.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_user(user_id: int):
    user = accounts.get_user(db.session, user_id)
    form = _user_form(user)
    response = submit(
        form,
        lambda: accounts.update_user(
            db.session,
            actor(),
            user.id,
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            section_id=form.section,
        ),
        _saved,
    )
    return response or (
        render_template("admin/user_form.html", form=form, user=user),
        form_status(form),
    )


def _set_active(user_id: int, active: bool):
    try:
        user = accounts.set_active(db.session, actor(), user_id, active)
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        if active:
            flash(_("Account %(email)s reactivated.", email=user.email), "success")
        else:
            flash(
                _("Account %(email)s deactivated; its sessions have ended.", email=user.email),
                "success",
            )
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/deactivate")
@allow(Role.ADMIN)
def deactivate_user(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
@allow(Role.ADMIN)
def reactivate_user(user_id: int):
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/reset-password")
@allow(Role.ADMIN)
def reset_password(user_id: int):
    user, password = accounts.reset_password(db.session, hasher(), user_id)
    return _once(user, password, "reset")


# -- how far back documents may be dated ---------------------------------------------------------


def _dating_page(limit: BackdateForm, close: CloseMonthForm, status: int = 200):
    sections = list_sections(db.session)
    return (
        render_template(
            "admin/dating.html",
            limit=limit,
            close=close,
            closed=closing.closed_months(db.session),
            sections={s.id: s for s in sections},
            owed=owed_by_section(db.session),
        ),
        status,
    )


def _close_form() -> CloseMonthForm:
    form = CloseMonthForm(prefix="close")
    form.set_sections(list_sections(db.session))
    return form


@bp.route("/dating", methods=["GET", "POST"])
@allow(Role.ADMIN)
def dating():
    limit = BackdateForm(prefix="limit")
    if not limit.is_submitted():
        limit.days.data = alerts.settings(db.session).backdate_days

    def saved(_result: None):
        days = limit.days.data
        flash(
            _("Documents may now be dated up to %(days)s days back.", days=f"{days:,}")
            if days
            else _("Documents may now be dated any day back, but not into a closed month."),
            "success",
        )
        return redirect(url_for("admin.dating"))

    response = submit(
        limit, lambda: closing.set_backdate_days(db.session, actor(), limit.days.data), saved
    )
    return response or _dating_page(limit, _close_form(), form_status(limit))


@bp.post("/dating/close")
@allow(Role.ADMIN)
def close_month():
    form = _close_form()

    def closed(row):
        flash(
            _(
                "%(section)s: %(month)s is closed.",
                section=row.section.name,
                month=month_name(row.month),
            ),
            "success",
        )
        return redirect(url_for("admin.dating"))

    response = submit(
        form,
        lambda: closing.close_month(
            db.session, actor(), form.section_id.data, parse_month(form.month.data)
        ),
        closed,
    )
    return response or _dating_page(BackdateForm(prefix="limit", formdata=None), form, 422)


@bp.post("/dating/<int:section_id>/<month>/reopen")
@allow(Role.ADMIN)
def reopen_month(section_id: int, month: str):
    first = parse_month(month)
    if first is None:
        abort(404)
    try:
        closing.reopen_month(db.session, actor(), section_id, first)
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        flash(sentence(_("%(month)s is open again.", month=month_name(first))), "success")
    return redirect(url_for("admin.dating"))
