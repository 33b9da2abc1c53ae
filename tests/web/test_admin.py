"""Accounts, as an admin manages them through the pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.factories import PASSWORD, World, csrf_token, log_in
from tracker.domain.accounts import Role
from tracker.models import Section, User


def _form(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def _given_password(response) -> str:
    match = re.search(r'id="password">([^<]+)<', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_create_a_treasurer_and_hand_over_the_password(app, login, world: World, session):
    admin = login(Role.ADMIN)
    gb = session.scalar(select(Section).where(Section.name == "Britain"))
    response = _form(
        admin,
        "/admin/users/new",
        email="Treasurer@Example.org",
        name="Ada",
        role="treasurer",
        section_id=str(gb.id),
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = _given_password(response)
    assert len(password) >= 12
    user = session.scalar(select(User).where(User.email == "treasurer@example.org"))
    assert (user.role, user.section_id, user.must_change_password) == ("treasurer", gb.id, True)
    assert password not in user.password_hash
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "treasurer@example.org" in listing and "must change password" in listing
    client = app.test_client()
    log_in(client, "treasurer@example.org", password)


def test_account_form_errors(login, world: World, session):
    admin = login(Role.ADMIN)
    cases = [
        (
            {"email": "not an address", "role": "admin", "section_id": "none"},
            "is not an email address",
        ),
        (
            {"email": "t@example.org", "role": "treasurer", "section_id": "none"},
            "A treasurer belongs to one section: choose which.",
        ),
        (
            {"email": admin.user.email, "role": "admin", "section_id": "none"},
            "There is already an account for",
        ),
        ({"email": "x@example.org", "role": "emperor"}, "Not a valid choice"),
        ({"email": "x@example.org", "role": "admin", "section_id": ""}, "Choose the section"),
        ({"email": "x@example.org", "role": "admin", "section_id": "999"}, "Not a valid choice"),
    ]
    count = len(session.scalars(select(User)).all())
    for data, message in cases:
        response = _form(admin, "/admin/users/new", **data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True), data
    assert len(session.scalars(select(User)).all()) == count


def test_edit_role_and_section(login, make_user, world: World, session):
    admin = login(Role.ADMIN)
    user = make_user(Role.TREASURER, "GB")
    url = f"/admin/users/{user.id}/edit"
    response = _form(
        admin,
        url,
        email=user.email,
        name="Now a coordinator",
        role="coordinator",
        section_id="none",
    )
    assert response.status_code == 302
    session.expire_all()
    edited = session.get(User, user.id)
    assert (edited.role, edited.section_id, edited.name) == (
        "coordinator",
        None,
        "Now a coordinator",
    )
    # A coordinator with a section makes no sense: refused, nothing changed.
    se = session.scalar(select(Section).where(Section.name == "Sweden"))
    response = _form(
        admin, url, email=user.email, name="x", role="coordinator", section_id=str(se.id)
    )
    assert response.status_code == 422
    assert "Only a treasurer belongs to a section" in response.get_data(as_text=True)
    session.expire_all()
    assert (session.get(User, user.id).section_id, session.get(User, user.id).name) == (
        None,
        "Now a coordinator",
    )
    assert admin.get("/admin/users/424242/edit").status_code == 404
    # A form sent back with errors says so in its status too.
    response = _form(admin, url, email="not an address", role="coordinator")
    assert response.status_code == 422
    assert "is not an email address" in response.get_data(as_text=True)
    assert admin.get(url).status_code == 200


def test_deactivate_ends_sessions_and_reactivate(app, login, make_user, session):
    admin = login(Role.ADMIN)
    user = make_user(Role.DISTRIBUTOR)
    theirs = app.test_client()
    log_in(theirs, user.email)
    response = admin.post(
        f"/admin/users/{user.id}/deactivate", data={"csrf_token": csrf_token(admin, "/admin/users")}
    )
    assert response.status_code == 302
    assert "deactivated" in admin.get("/admin/users").get_data(as_text=True)
    assert theirs.get("/").status_code == 302
    again = app.test_client()
    assert (
        again.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(again)},
        ).status_code
        == 200
    )
    admin.post(
        f"/admin/users/{user.id}/reactivate", data={"csrf_token": csrf_token(admin, "/admin/users")}
    )
    log_in(app.test_client(), user.email)


def test_an_admin_cannot_lock_everyone_out(login, session):
    admin = login(Role.ADMIN)
    me = admin.user
    response = admin.post(
        f"/admin/users/{me.id}/deactivate",
        data={"csrf_token": csrf_token(admin, "/admin/users")},
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    response = _form(admin, f"/admin/users/{me.id}/edit", email=me.email, role="coordinator")
    assert response.status_code == 422
    assert "You cannot take the admin role from yourself." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, me.id).active and session.get(User, me.id).role == "admin"


def test_admins_manage_other_admins_but_never_leave_none(app, login, make_user, session):
    first = login(Role.ADMIN)
    second = make_user(Role.ADMIN)
    response = _form(
        first, f"/admin/users/{second.id}/edit", email=second.email, role="distributor"
    )
    assert response.status_code == 302
    third = make_user(Role.ADMIN)
    client = app.test_client()
    log_in(client, third.email)
    response = client.post(
        f"/admin/users/{first.user.id}/deactivate",
        data={"csrf_token": csrf_token(client, "/admin/users")},
    )
    assert response.status_code == 302
    # The third is now the only active admin, and may not remove itself.
    response = client.post(
        f"/admin/users/{third.id}/deactivate",
        data={"csrf_token": csrf_token(client, "/admin/users")},
        follow_redirects=True,
    )
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    session.expire_all()
    admins = session.scalars(select(User).where(User.role == "admin", User.active)).all()
    assert [a.id for a in admins] == [third.id]


def test_reset_password(app, login, make_user):
    admin = login(Role.ADMIN)
    user = make_user(Role.COORDINATOR)
    theirs = app.test_client()
    log_in(theirs, user.email)
    response = admin.post(
        f"/admin/users/{user.id}/reset-password",
        data={"csrf_token": csrf_token(admin, "/admin/users")},
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    new = _given_password(response)
    assert theirs.get("/").status_code == 302  # their session ended
    old = app.test_client()
    assert (
        old.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(old)},
        ).status_code
        == 200
    )
    log_in(app.test_client(), user.email, new)
    missing = admin.post(
        "/admin/users/424242/reset-password", data={"csrf_token": csrf_token(admin, "/admin/users")}
    )
    assert missing.status_code == 404


def test_a_coordinator_becomes_a_treasurer_and_back(login, make_user, world: World, session):
    """Role and section change together: the database never sees one without the other."""
    admin = login(Role.ADMIN)
    user = make_user(Role.COORDINATOR)
    gb = session.scalar(select(Section).where(Section.name == "Britain"))
    url = f"/admin/users/{user.id}/edit"
    response = _form(admin, url, email=user.email, role="treasurer", section_id=str(gb.id))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session.expire_all()
    assert (session.get(User, user.id).role, session.get(User, user.id).section_id) == (
        "treasurer",
        gb.id,
    )
    response = _form(admin, url, email=user.email, role="coordinator", section_id="none")
    assert response.status_code == 302
    session.expire_all()
    assert (session.get(User, user.id).role, session.get(User, user.id).section_id) == (
        "coordinator",
        None,
    )
