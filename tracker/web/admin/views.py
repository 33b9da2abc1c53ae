"""Accounts, for admins: list, create, edit, deactivate and reactivate, reset a password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError
from tracker.models import User
from tracker.queries.accounts import list_users
from tracker.queries.places import list_sections
from tracker.services import accounts
from tracker.web.access import allow
from tracker.web.admin.forms import UserForm
from tracker.web.helpers import actor, form_status, submit
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


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user():
    form = UserForm()
    form.set_sections(list_sections(db.session))
    response = submit(
        form,
        lambda: accounts.create_user(
            db.session,
            hasher(),
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            section_id=form.section_id.data,
        ),
        lambda made: _once(*made, "created"),
    )
    return response or (
        render_template("admin/user_form.html", form=form, user=None),
        form_status(form),
    )


def _saved(user: User):
    flash(f"Account {user.email} saved.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_user(user_id: int):
    user = accounts.get_user(db.session, user_id)
    form = UserForm(obj=user)
    form.set_sections(list_sections(db.session))
    response = submit(
        form,
        lambda: accounts.update_user(
            db.session,
            actor(),
            user.id,
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            section_id=form.section_id.data,
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
        state = "reactivated" if active else "deactivated; its sessions have ended"
        flash(f"Account {user.email} {state}.", "success")
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
